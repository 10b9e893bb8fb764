-- One transfer line per cash ledger line, whatever entry recorded it (issue 12/13): the payout
-- (entry 0, with its late charge) and each reclassification's difference (entry n) are lines
-- of their own, so a difference for a payee already paid is transferred, once.
ALTER TABLE disbursement_lines ADD COLUMN entry integer NOT NULL DEFAULT 0;
ALTER TABLE disbursement_lines DROP CONSTRAINT disbursement_lines_pkey;
ALTER TABLE disbursement_lines ADD PRIMARY KEY (claim_id, component, payee_heir_id, entry);

ALTER TABLE transfer_attempts ADD COLUMN entry integer NOT NULL DEFAULT 0;
ALTER TABLE transfer_attempts DROP CONSTRAINT transfer_attempts_claim_id_component_payee_heir_id_attempt_key;
ALTER TABLE transfer_attempts ADD CONSTRAINT transfer_attempts_line_attempt
    UNIQUE (claim_id, component, payee_heir_id, entry, attempt);
-- Still never two live or successful transfers for one ledger line.
DROP INDEX transfer_attempts_one_live;
CREATE UNIQUE INDEX transfer_attempts_one_live ON transfer_attempts (claim_id, component, payee_heir_id, entry)
    WHERE status IN ('sending', 'pending', 'succeeded');
