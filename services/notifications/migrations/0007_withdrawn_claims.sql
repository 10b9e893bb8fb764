-- A withdrawn claim reaches no family: its queued messages not yet sent are cancelled, and
-- nothing more is queued for it (the withdrawal may arrive before ClaimFiled, on another topic).
ALTER TABLE claims ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'unknown', 'cancelled'));
