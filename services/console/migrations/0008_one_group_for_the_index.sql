-- The event index read each topic in a group of its own, "<console>.index.<topic>"; it is one group now,
-- "<console>.index", reading every topic (services/console/consumers.py; issue 17): their inbox rows
-- (the traceparents the trace page reads) are its. The console's name is its schema, and the topics
-- are the catalogue's when the index was merged (a topic added later has no former group).
SELECT merge_consumers(
    ARRAY(
        SELECT current_schema() || '.index.' || topic
        FROM unnest(ARRAY[
            'enrollment.participants.v1', 'claims.filed.v1', 'claims.decisions.v1', 'claims.payouts.v1',
            'claims.disbursements.v1', 'notifications.deliveries.v1', 'notifications.inbound.v1',
            'grievances.grievances.v1', 'grievances.family-notices.v1', 'grievances.lookups.v1'
        ]) AS topic
    ),
    current_schema() || '.index');
