-- claims.payout and claims.disbursement_reclassified, both readers of claims.decisions.v1, are one
-- consumer now, claims.decisions (services/claims/app.py): their inbox and parked messages are its.
SELECT merge_consumers(ARRAY['claims.payout', 'claims.disbursement_reclassified'], 'claims.decisions');
