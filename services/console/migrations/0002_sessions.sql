-- Signed-in people (session.py). The browser's cookie holds only a random session id; this
-- row holds what it stands for. The id itself is not stored, only its SHA-256: a copy of this
-- table does not let anyone take over a session. `token` is the person's bearer token, which
-- the console passes on to claims, enrollment and notifications; the session ends when it does.
CREATE TABLE sessions (
    id_hash     bytea PRIMARY KEY,
    subject     text NOT NULL,
    role        text NOT NULL,
    token       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
