-- An import cut off by a crash or a shutdown is resumed at the next start, from the last
-- committed chunk; so the file is kept until the import ends, and a running import beats a
-- heartbeat with each chunk (a stale one belongs to a process that is gone).
ALTER TABLE imports ADD COLUMN IF NOT EXISTS content bytea;
ALTER TABLE imports ADD COLUMN IF NOT EXISTS heartbeat_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE imports ADD COLUMN IF NOT EXISTS resumed integer NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN IF NOT EXISTS failure_reason text;
