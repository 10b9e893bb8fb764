"""The AsyncAPI documents pass the AsyncAPI project's own parser (npm @asyncapi/parser, pinned in
tests/asyncapi/package-lock.json, installed by `make test` with `npm ci`), name their components in
the allowed character set, and declare each message's headers and Kafka key."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
DOCS = sorted((REPO / "docs" / "asyncapi").glob("*.yaml"))
CHECKER = REPO / "tests" / "asyncapi"
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9\.\-_]+$")  # AsyncAPI 3.0, Components Object


def parse(*files: Path) -> tuple[int, list[dict]]:
    if not (CHECKER / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail(f"the AsyncAPI parser is not installed: npm ci --prefix {CHECKER.relative_to(REPO)}")
    run = subprocess.run(
        ["node", str(CHECKER / "validate.mjs"), *map(str, files)], capture_output=True, text=True, timeout=120
    )
    return run.returncode, [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def test_every_document_passes_the_asyncapi_parser():
    assert len(DOCS) == 5
    code, reports = parse(*DOCS)
    assert [(Path(r["file"]).name, r["errors"]) for r in reports] == [(d.name, []) for d in DOCS]
    assert code == 0


def test_the_parser_refuses_a_broken_document(tmp_path):
    # A 3.0 document without its required `info`, and an operation on a channel that does not exist:
    # proof that the check above is the parser's, not a process that answers 0 whatever it reads.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        yaml.safe_dump(
            {
                "asyncapi": "3.0.0",
                "channels": {},
                "operations": {"send": {"action": "send", "channel": {"$ref": "#/channels/missing"}}},
            }
        )
    )
    code, (report,) = parse(broken)
    assert code == 1 and report["errors"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.stem)
def test_names_are_in_the_allowed_character_set_and_messages_declare_headers_and_key(doc):
    spec = yaml.safe_load(doc.read_text())
    assert spec["asyncapi"] == "3.0.0"
    names = [*spec.get("channels", {}), *spec.get("operations", {})]
    for section in spec.get("components", {}).values():
        names += list(section)
    assert [n for n in names if not COMPONENT_KEY.match(n)] == []
    for name, message in spec["components"]["messages"].items():
        headers = message["headers"]["properties"]
        assert {"event_id", "event_type", "correlation_id", "producer", "traceparent"} <= headers.keys(), name
        assert message["bindings"]["kafka"]["key"]["type"] == "string", name
        # The correlation id FastStream points at is one of the declared headers.
        assert message["correlationId"]["location"] == "$message.header#/correlation_id"
