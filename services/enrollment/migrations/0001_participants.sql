-- Enrollment's own tables (schema "enrollment"). The full NIK lives only here.

CREATE TABLE participants (
    participant_id  text PRIMARY KEY,
    nik             text NOT NULL UNIQUE,
    nik_masked      text NOT NULL,
    full_name       text NOT NULL,
    birth_date      date NOT NULL,
    sex             text NOT NULL CHECK (sex IN ('F', 'M')),
    phone           text NOT NULL,
    address         text NOT NULL DEFAULT '',
    kecamatan       text NOT NULL,
    segment         text NOT NULL,
    monthly_income  integer NOT NULL CHECK (monthly_income > 0),
    programs        text[] NOT NULL,
    member_since    date NOT NULL,
    source          text NOT NULL DEFAULT 'api',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_kecamatan_segment ON participants (kecamatan, segment);
CREATE INDEX participants_name ON participants (lower(full_name));

CREATE TABLE heirs (
    heir_id         text PRIMARY KEY,
    participant_id  text NOT NULL REFERENCES participants ON DELETE CASCADE,
    position        integer NOT NULL,
    full_name       text NOT NULL,
    relationship    text NOT NULL,
    precedence      integer NOT NULL,
    phone           text,
    email           text,
    language        text NOT NULL DEFAULT 'id'
);
CREATE INDEX heirs_participant ON heirs (participant_id, position);

CREATE TABLE contributions (
    contribution_id text PRIMARY KEY,
    participant_id  text NOT NULL REFERENCES participants ON DELETE CASCADE,
    period          text NOT NULL,
    amount          integer NOT NULL,
    payer           text NOT NULL CHECK (payer IN ('self', 'city')),
    paid_at         date NOT NULL,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- One payment per month: a second one is a duplicate, refused by the rules first.
    UNIQUE (participant_id, period)
);

-- The coverage last announced (CoverageChanged), so a change is emitted once.
CREATE TABLE coverage (
    participant_id    text PRIMARY KEY REFERENCES participants ON DELETE CASCADE,
    status            text NOT NULL,
    as_of             date NOT NULL,
    active_through    date,
    grace_until       date,
    first_covered_on  date,
    snapshot          jsonb NOT NULL
);
CREATE INDEX coverage_status ON coverage (status, grace_until);

CREATE TABLE imports (
    import_id       text PRIMARY KEY,
    file_sha256     text NOT NULL UNIQUE,
    filename        text NOT NULL,
    rows_total      integer NOT NULL,
    rows_done       integer NOT NULL DEFAULT 0,
    rows_enrolled   integer NOT NULL DEFAULT 0,
    rows_rejected   integer NOT NULL DEFAULT 0,
    rows_existing   integer NOT NULL DEFAULT 0,
    status          text NOT NULL DEFAULT 'running',
    started_by      text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE TABLE import_rejections (
    import_id   text NOT NULL REFERENCES imports ON DELETE CASCADE,
    row_number  integer NOT NULL,
    errors      jsonb NOT NULL,
    PRIMARY KEY (import_id, row_number)
);
