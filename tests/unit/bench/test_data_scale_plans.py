"""bench/data_scale.py reads auto_explain's JSON plans out of PostgreSQL's log: which service ran
the statement, the plan in short, and whether it read a table whole."""

from __future__ import annotations

import json

from bench.data_scale import parse_plans

PREFIX = "2026-11-29 15:00:00.123 UTC [4242]"


def _entry(app: str, ms: str, explained: dict) -> str:
    body = "\n".join("\t" + line for line in json.dumps(explained, indent=2).splitlines())
    return f"{PREFIX} {app}: LOG:  duration: {ms} ms  plan:\n{body}\n"


def test_plans_are_read_per_statement_with_their_service_and_sequential_scans(tmp_path):
    index_scan = {
        "Query Text": "SELECT * FROM participants WHERE nik = $1",
        "Query Identifier": 11,
        "Plan": {
            "Node Type": "Index Scan",
            "Index Name": "participants_nik_key",
            "Relation Name": "participants",
            "Schema": "enrollment",
            "Index Cond": "(participants.nik = '7371011505900001'::text)",
            "Actual Rows": 1.0,
            "Actual Loops": 1,
            "Shared Hit Blocks": 4,
            "Shared Read Blocks": 0,
        },
    }
    seq_scan = {
        "Query Text": "UPDATE notifications SET x = 1\n WHERE event_id = $1",
        "Query Identifier": 22,
        "Plan": {
            "Node Type": "ModifyTable",
            "Relation Name": "notifications",
            "Schema": "notifications",
            "Actual Rows": 0.0,
            "Actual Loops": 1,
            "Plans": [
                {
                    "Node Type": "Seq Scan",
                    "Relation Name": "notifications",
                    "Schema": "notifications",
                    "Filter": "(event_id = $1)",
                    "Rows Removed by Filter": 5000,
                    "Actual Rows": 2.0,
                    "Actual Loops": 1,
                    "Shared Hit Blocks": 900,
                    "Shared Read Blocks": 12,
                }
            ],
        },
    }
    log = tmp_path / "pg.log"
    before = f"{PREFIX} : LOG:  database system is ready to accept connections\n"
    log.write_text(
        before
        + _entry("jaring-enrollment", "0.050", index_scan)
        + f"{PREFIX} jaring-claims: LOG:  checkpoint starting: time\n"
        + _entry("jaring-notifications", "1.250", seq_scan)
    )

    plans = parse_plans(log, offset=len(before))

    assert set(plans) == {11, 22}
    nik = plans[11]
    assert (nik.service, nik.ms, nik.seq_scans) == ("enrollment", 0.05, [])
    # The parameter a plan inlines is a NIK: masked after its first four digits, as everywhere.
    assert nik.text == (
        "Index Scan using participants_nik_key on enrollment.participants  "
        "Index Cond: (participants.nik = '7371************'::text)  rows=1 loops=1  buffers: hit=4"
    )
    update = plans[22]
    assert update.service == "notifications"
    assert update.query == "UPDATE notifications SET x = 1 WHERE event_id = $1"
    assert update.seq_scans == ["notifications.notifications"]
    assert update.text.splitlines()[1] == (
        "  -> Seq Scan on notifications.notifications  Filter: (event_id = $1)  "
        "removed by filter: 5000  rows=2 loops=1  buffers: hit=900 read=12"
    )
