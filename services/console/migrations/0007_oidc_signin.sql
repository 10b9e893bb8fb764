-- Sign-in through the identity provider (services/console/oidc.py). A sign-in under way is one
-- row, keyed by the SHA-256 of its `state` (the value itself travels only in the browser's
-- cookie and Keycloak's redirect), holding the PKCE code verifier and the nonce, which never
-- leave the console; the callback deletes the row as it reads it, so a state serves once.
CREATE TABLE signin_attempts (
    state_hash     bytea PRIMARY KEY,
    code_verifier  text NOT NULL,
    nonce          text NOT NULL,
    next_path      text NOT NULL DEFAULT '',
    expires_at     timestamptz NOT NULL
);
CREATE INDEX signin_attempts_expiry ON signin_attempts (expires_at);

-- The identity provider's ID token of a session signed in through it: signing out hands it back
-- (id_token_hint) so the provider ends its own session too without asking again.
ALTER TABLE sessions ADD COLUMN id_token text;
