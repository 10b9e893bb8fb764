-- enrollment.deaths and enrollment.claim_heirs, both readers of claims.decisions.v1, are one consumer
-- now, enrollment.claim_decisions (services/enrollment/app.py): their inbox and parked messages are its.
SELECT merge_consumers(ARRAY['enrollment.deaths', 'enrollment.claim_heirs'], 'enrollment.claim_decisions');
