-- The inbox is pruned by age, per consumer (shared/pruning.py): its old rows found without
-- reading the whole table.
CREATE INDEX IF NOT EXISTS inbox_by_age ON inbox (consumer, processed_at);
