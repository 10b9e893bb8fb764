-- Consumers merged into one (one consumer group where several read the same topic): what was
-- keyed by the former consumers' names carries over to the merged one, so the merged consumer
-- neither applies again what they applied nor loses what they parked. A service's migration calls
-- merge_consumers(former names, merged name); calling it again is harmless.
CREATE TABLE IF NOT EXISTS merged_consumers (
    former  text PRIMARY KEY,
    merged  text NOT NULL
);

-- A process of the former version may still run beside the merged consumer (a rolling upgrade,
-- a rollback): its inbox row is claimed under the merged name too, in the same insert, so an event
-- is applied once by whichever comes first. The unique index makes the later of two concurrent
-- claims wait for the first and then find it: the former consumer then sees a duplicate.
CREATE OR REPLACE FUNCTION inbox_of_merged_consumer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inbox (consumer, event_id, processed_at, traceparent)
    SELECT m.merged, NEW.event_id, NEW.processed_at, NEW.traceparent FROM merged_consumers m WHERE m.former = NEW.consumer
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN NULL;  -- the merged consumer (or the other former one) applied it already
    END IF;
    RETURN NEW;
END $$;

-- A message a former consumer parks is parked for the merged one as well: the merged consumer may
-- start past its offset, and the former process may stop before it is applied.
CREATE OR REPLACE FUNCTION waiting_of_merged_consumer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO waiting (consumer, key, topic, "partition", "offset", timestamp_ms, headers, value, event_type,
                         reason, waiting_for, parked_at, waiting_since)
    SELECT m.merged, NEW.key, NEW.topic, NEW."partition", NEW."offset", NEW.timestamp_ms, NEW.headers, NEW.value,
           NEW.event_type, NEW.reason, NEW.waiting_for, NEW.parked_at, NEW.waiting_since
    FROM merged_consumers m WHERE m.former = NEW.consumer
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION merge_consumers(formerly text[], merged_name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    all_former text[];
BEGIN
    INSERT INTO merged_consumers (former, merged) SELECT f, merged_name FROM unnest(formerly) AS f
    ON CONFLICT (former) DO UPDATE SET merged = EXCLUDED.merged;

    -- The inbox: what either former consumer applied is applied for the merged one.
    INSERT INTO inbox (consumer, event_id, processed_at, traceparent)
    SELECT merged_name, event_id, processed_at, traceparent FROM inbox WHERE consumer = ANY(formerly)
    ON CONFLICT DO NOTHING;
    DELETE FROM inbox WHERE consumer = ANY(formerly);

    -- Parked messages, in their topic's order (a key's messages share a partition): the merged
    -- consumer re-applies a key's parked messages in the order of their ids.
    INSERT INTO waiting (consumer, key, topic, "partition", "offset", timestamp_ms, headers, value, event_type,
                         reason, waiting_for, parked_at, waiting_since)
    SELECT merged_name, key, topic, "partition", "offset", timestamp_ms, headers, value, event_type,
           reason, waiting_for, parked_at, waiting_since
    FROM waiting WHERE consumer = ANY(formerly) ORDER BY topic, "partition", "offset"
    ON CONFLICT DO NOTHING;
    DELETE FROM waiting WHERE consumer = ANY(formerly);

    -- The triggers fire only for the former names (WHEN is evaluated without calling the function):
    -- every other consumer's insert costs nothing more.
    SELECT array_agg(former ORDER BY former) INTO all_former FROM merged_consumers;
    DROP TRIGGER IF EXISTS inbox_of_merged_consumer ON inbox;
    EXECUTE format(
        'CREATE TRIGGER inbox_of_merged_consumer BEFORE INSERT ON inbox FOR EACH ROW '
        'WHEN (NEW.consumer = ANY(%L::text[])) EXECUTE FUNCTION inbox_of_merged_consumer()', all_former);
    DROP TRIGGER IF EXISTS waiting_of_merged_consumer ON waiting;
    EXECUTE format(
        'CREATE TRIGGER waiting_of_merged_consumer AFTER INSERT ON waiting FOR EACH ROW '
        'WHEN (NEW.consumer = ANY(%L::text[])) EXECUTE FUNCTION waiting_of_merged_consumer()', all_former);
END $$;
