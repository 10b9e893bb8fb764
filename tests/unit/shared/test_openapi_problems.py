"""What OpenAPI tells a generated client: every route's errors as problem documents, and links
from creating a claim or a participant to reading it (for stateful fuzzers that follow ids)."""

from __future__ import annotations

import pytest

from services.claims.app import build_spec as claims_spec
from services.claims.disbursement.api import NOTIFY_PATH
from services.console.app import build_spec as console_spec
from services.enrollment.app import build_spec as enrollment_spec
from services.grievances.app import build_spec as grievances_spec
from services.notifications.app import build_spec as notifications_spec
from shared.service import create_app

# A comment lives inside its grievance (services/grievances/api.py says why it links nowhere).
LINKS_NOWHERE = {"/v1/grievances/{grievance_id}/comments"}
ERRORS = {"400", "401", "403", "404", "409", "413", "422", "503"}


def openapi(build, monkeypatch) -> dict:
    monkeypatch.setenv("JARING_AUTH_SECRET", "openapi-only-a-secret-long-enough-to-pass-the-check-0123456789")
    return create_app(build()).openapi()


@pytest.mark.parametrize(
    "build", [claims_spec, enrollment_spec, grievances_spec], ids=["claims", "enrollment", "grievances"]
)
def test_every_route_documents_its_errors_as_problem_documents(build, monkeypatch):
    spec = openapi(build, monkeypatch)
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= problem["properties"].keys()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert responses.keys() >= ERRORS, (method, path)
            if path == NOTIFY_PATH:
                continue  # the bank's SNAP protocol answers in its own shape (test below)
            for status in ERRORS:
                schema = responses[status]["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)


@pytest.mark.parametrize(
    "build,path,status,target,parameter",
    [
        (claims_spec, "/v1/claims", "202", "/v1/claims/{claim_id}", "claim_id"),
        (enrollment_spec, "/v1/participants", "201", "/v1/participants/{participant_id}", "participant_id"),
        (grievances_spec, "/v1/grievances", "201", "/v1/grievances/{grievance_id}", "grievance_id"),
        (enrollment_spec, "/v1/imports", "202", "/v1/imports/{import_id}", "import_id"),
    ],
)
def test_creation_links_to_the_created_resource(build, path, status, target, parameter, monkeypatch):
    spec = openapi(build, monkeypatch)
    links = spec["paths"][path]["post"]["responses"][status]["links"].values()
    read = spec["paths"][target]["get"]["operationId"]
    assert [link["parameters"] for link in links if link["operationId"] == read] == [
        {parameter: f"$response.body#/{parameter}"}
    ]


def operations_of(spec: dict) -> dict[str, tuple[str, dict]]:
    return {op["operationId"]: (path, op) for path, ops in spec["paths"].items() for op in ops.values()}


@pytest.mark.parametrize(
    "build", [claims_spec, enrollment_spec, grievances_spec], ids=["claims", "enrollment", "grievances"]
)
def test_every_creation_links_onwards_and_every_link_reaches_an_operation_taking_its_parameters(build, monkeypatch):
    spec = openapi(build, monkeypatch)
    operations = operations_of(spec)
    for path, ops in spec["paths"].items():
        for method, operation in ops.items():
            for status, response in operation["responses"].items():
                if method == "post" and status in ("201", "202") and path not in LINKS_NOWHERE:
                    assert response.get("links"), f"{method} {path} creates something and links nowhere"
                for name, link in response.get("links", {}).items():
                    assert link["operationId"] in operations, (path, name)
                    target_path, target = operations[link["operationId"]]
                    taken = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                    assert set(link["parameters"]) == taken, (path, name, target_path)


def test_a_claims_every_operation_is_reached_from_filing_it(monkeypatch):
    spec = openapi(claims_spec, monkeypatch)
    links = spec["paths"]["/v1/claims"]["post"]["responses"]["202"]["links"].values()
    reached = {operations_of(spec)[link["operationId"]][0] for link in links}
    assert {
        path
        for path in spec["paths"]
        if path.startswith("/v1/claims/{claim_id}") and "{payee}" not in path and not path.endswith("/reversals")
    } == reached


def test_the_bank_notification_declares_the_bank_signature_and_snap_answers(monkeypatch):
    spec = openapi(claims_spec, monkeypatch)
    scheme = spec["components"]["securitySchemes"]["bankSignature"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-SIGNATURE")
    operation = spec["paths"][NOTIFY_PATH]["post"]
    assert operation["security"] == [{"bankSignature": []}]
    for status in ("200", "400", "401", "404", "409", "413"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/SnapAnswer"}, status


def test_claim_types_statuses_document_kinds_and_components_are_enums(monkeypatch):
    spec = openapi(claims_spec, monkeypatch)
    claim_in = spec["components"]["schemas"]["ClaimIn"]["properties"]
    assert claim_in["claim_type"]["enum"] == ["JKK", "JKK_DEATH", "JKM"]
    assert "death_certificate" in claim_in["documents"]["propertyNames"]["enum"]
    transfer = spec["components"]["schemas"]["ManualTransferIn"]["properties"]
    assert {"death_benefit", "funeral"} <= set(transfer["component"]["enum"])
    (status,) = [p for p in spec["paths"]["/v1/claims"]["get"]["parameters"] if p["name"] == "status"]
    assert set(status["schema"]["enum"]) == {
        "filed",
        "approved",
        "rejected",
        "needs_review",
        "payout_recorded",
        "awaiting_family",
        "withdrawn",
    }


# Every success answer names its fields (issue 16): a route answering an open object, or a list of
# them, has no response model, and a generated client learns nothing of it. A genuinely open part
# (an event's payload) is typed inside a model, never the whole answer.


def untyped(schema: dict) -> bool:
    if schema.get("type") == "array":
        return untyped(schema.get("items", {}))
    return "$ref" not in schema and (not schema or (schema.get("type") == "object" and not schema.get("properties")))


@pytest.mark.parametrize(
    "name,build",
    [
        ("claims", claims_spec),
        ("enrollment", enrollment_spec),
        ("grievances", grievances_spec),
        ("notifications", notifications_spec),
        ("console", console_spec),
    ],
)
def test_no_success_answer_is_an_untyped_object(name, build, monkeypatch):
    spec = openapi(build, monkeypatch)
    found = {
        f"{name} {method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for body in response.get("content", {}).values()
        if untyped(body.get("schema", {}))
    }
    assert found == set()


def test_the_claims_answers_typed_so_far_name_their_fields(monkeypatch):
    spec = openapi(claims_spec, monkeypatch)
    answer = spec["paths"]["/v1/claims"]["post"]["responses"]["202"]["content"]["application/json"]["schema"]
    status = spec["components"]["schemas"][answer["$ref"].rsplit("/", 1)[-1]]["properties"]["status"]
    assert {"filed", "needs_review", "withdrawn"} <= set(status["enum"])


def schema_of(spec: dict, path: str, method: str = "get", status: str = "200") -> dict:
    answer = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    answer = answer.get("items", answer)
    return spec["components"]["schemas"][answer["$ref"].rsplit("/", 1)[-1]]


def test_a_claim_and_a_participant_name_what_their_readers_use(monkeypatch):
    claims = openapi(claims_spec, monkeypatch)
    claim = schema_of(claims, "/v1/claims/{claim_id}")
    assert {"status", "reasons", "sla", "payout", "steps", "disbursement", "filed_at"} <= set(claim["properties"])
    assert "JKM" in claim["properties"]["claim_type"]["enum"]
    listed = schema_of(claims, "/v1/claims")
    assert {"participant_name", "days_left", "sla_deadline"} <= set(listed["properties"])
    enrollment = openapi(enrollment_spec, monkeypatch)
    participant = schema_of(enrollment, "/v1/participants/{participant_id}")
    assert {"nik_masked", "heirs", "coverage", "open_duplicate_flags"} <= set(participant["properties"])
    assert "nik" not in participant["properties"]  # the full NIK never leaves enrollment's table
    for path, method, status in [
        ("/v1/participants", "post", "201"),
        ("/v1/participants/{participant_id}", "patch", "200"),
        ("/v1/participants/{participant_id}/heirs", "put", "200"),
    ]:
        assert schema_of(enrollment, path, method, status) == participant, path
