-- Participants whose enrolment grievances has read (ParticipantEnrolled, on the participants topic, in
-- its own consumer group). A referral for missing documents tells the participant's heirs; read
-- before the enrolment, it would find no heirs and tell only the reporter, so it waits for this row
-- (services/grievances/handlers.py). A participant without heirs is enrolled too: hence a table of its
-- own, not the heirs'.
CREATE TABLE participants (
    participant_id text PRIMARY KEY
);

-- Already read before this table: everyone with heirs, and everyone with a claim (a claim is filed
-- only for a participant enrolment covered long before).
INSERT INTO participants (participant_id)
SELECT participant_id FROM heirs
UNION
SELECT participant_id FROM claims
ON CONFLICT DO NOTHING;
