-- The event index read each topic in a group of its own, "<console>.index.<topic>"; the topics that drop
-- their events are read by one group now, "<console>.index" (services/console/consumers.py; issue 17):
-- their groups' inbox rows (the traceparents the trace page reads) are its. The participants topic,
-- which keeps its events for ever, keeps its own group. The console's name is its schema; the topics
-- are the catalogue's when the index was merged (a topic added later has no former group).
SELECT merge_consumers(
    ARRAY(
        SELECT current_schema() || '.index.' || topic
        FROM unnest(ARRAY[
            'claims.filed.v1', 'claims.decisions.v1', 'claims.payouts.v1',
            'claims.disbursements.v1', 'notifications.deliveries.v1', 'notifications.inbound.v1',
            'grievances.grievances.v1', 'grievances.family-notices.v1', 'grievances.lookups.v1'
        ]) AS topic
    ),
    current_schema() || '.index');
