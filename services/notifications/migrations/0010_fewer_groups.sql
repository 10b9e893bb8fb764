-- A claim's four topics are read by one consumer now, notifications.claims, and the family's three
-- by notifications.family (services/notifications/app.py; issue 17): the inbox and parked messages
-- of the consumers they replace are theirs.
SELECT merge_consumers(
    ARRAY['notifications.claims-filed', 'notifications.claim-decisions', 'notifications.payouts',
          'notifications.disbursements'],
    'notifications.claims');
SELECT merge_consumers(
    ARRAY['notifications.grievances', 'notifications.family-notices', 'notifications.lookups'],
    'notifications.family');
