-- Every family gets the right money (issue 12): facts as they were on the incident date,
-- heirs' birth dates, guardians, transport, reclassification, late charges.

-- Read model: dated incomes and paid months, so a benefit uses the facts of its day.
ALTER TABLE participants
    ADD COLUMN income_history jsonb NOT NULL DEFAULT '[]'::jsonb,   -- [{"effective_from": "YYYY-MM", "monthly_income": n}]
    ADD COLUMN paid_periods   text[] NOT NULL DEFAULT '{}',         -- fully paid months, "YYYY-MM"
    ADD COLUMN deceased_on    date;

-- A minor heir is paid through a wali; the scholarship ends at 23.
ALTER TABLE heirs ADD COLUMN birth_date date;

ALTER TABLE claims
    ADD COLUMN transport_costs jsonb NOT NULL DEFAULT '{}'::jsonb,  -- {"land": n, "sea": n, "air": n}
    ADD COLUMN guardians       jsonb NOT NULL DEFAULT '{}'::jsonb,  -- heir_id -> {"name", "relationship"}
    ADD COLUMN reclassified    integer NOT NULL DEFAULT 0,          -- how many times; numbers the ledger's entries
    ADD COLUMN supervisor_flag text;                                -- what a supervisor must settle by hand

-- Ledger: the wali a minor's line is paid through, and which entry a line belongs to
-- (0: the payout; n: the n-th reclassification's difference), so a difference paid after a
-- reclassification is a new line and never overwrites or repeats one already recorded.
ALTER TABLE payout_ledger
    ADD COLUMN guardian_name text,
    ADD COLUMN entry integer NOT NULL DEFAULT 0;
ALTER TABLE payout_ledger DROP CONSTRAINT payout_ledger_pkey;
ALTER TABLE payout_ledger ADD PRIMARY KEY (claim_id, component, payee_heir_id, entry);
