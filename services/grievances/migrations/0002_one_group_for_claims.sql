-- What grievances reads of claims (three topics) is one consumer now, grievances.claims
-- (services/grievances/app.py; issue 17): the inbox and parked messages of the three it replaces are its.
SELECT merge_consumers(
    ARRAY['grievances.claims-filed', 'grievances.claim-decisions', 'grievances.payouts'], 'grievances.claims');
