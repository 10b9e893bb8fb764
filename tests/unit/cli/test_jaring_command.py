"""The `jaring` command without a stack: local tokens, usage errors, and how answers become exit codes."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import httpx
import pytest
from typer.testing import CliRunner

from jaring_cli.http import ExitCode, exit_code_for, problems
from jaring_cli.main import Options, app
from shared.auth import LOCAL_AUDIENCE, LOCAL_ISSUER, TokenVerifier

SECRET = "a-local-stack-secret-of-enough-length-for-hs256"


def test_jaring_is_an_installed_command():
    [script] = [e for e in entry_points(group="console_scripts") if e.name == "jaring"]
    assert script.value == "jaring_cli.main:main"


def test_a_local_token_is_signed_with_the_stack_secret_and_carries_the_role(tmp_path):
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "secret").write_text(SECRET + "\n")
    result = CliRunner().invoke(
        app,
        ["token", "--role", "operator", "--hours", "2", "--json"],
        env={"JARING_STATE_DIR": str(tmp_path), "JARING_AUTH_SECRET": ""},
    )
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    actor = TokenVerifier(SECRET, issuer=LOCAL_ISSUER, audience=LOCAL_AUDIENCE).verify(issued["token"])
    assert (actor.role, actor.subject) == ("operator", "local-operator")
    plain = CliRunner().invoke(
        app,
        ["token", "--role", "supervisor", "--subject", "rina"],
        env={"JARING_STATE_DIR": str(tmp_path), "JARING_AUTH_SECRET": ""},
    )
    assert (
        TokenVerifier(SECRET, issuer=LOCAL_ISSUER, audience=LOCAL_AUDIENCE).verify(plain.stdout.strip()).subject
        == "rina"
    )


def test_no_token_without_a_local_stack_secret(tmp_path):
    result = CliRunner().invoke(
        app, ["token", "--role", "officer"], env={"JARING_STATE_DIR": str(tmp_path), "JARING_AUTH_SECRET": ""}
    )
    assert result.exit_code == ExitCode.USAGE == 1
    assert "make up" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["nope"],
        ["claims", "frobnicate"],
        ["token", "--role", "admin"],
        ["claims", "decide", "CL-1", "approve"],
        ["dlq", "replay", "x.dlq", "0"],
    ],
)
def test_usage_errors_exit_1_not_2_which_means_not_found(args):
    assert CliRunner().invoke(app, args).exit_code == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, 2), (410, 2), (401, 3), (403, 3), (503, 4), (500, 4), (502, 4), (422, 5), (400, 5), (413, 5), (409, 6)],
)
def test_each_answer_has_the_documented_exit_code(status, code):
    assert exit_code_for(status) == code


def problem(status: int, detail: str, **members: object) -> dict:
    """A problem document as the services answer (docs/api-errors.md)."""
    return {"type": "about:blank", "title": "Title", "status": status, "detail": detail, **members}


def test_the_services_words_are_shown_from_their_problem_documents():
    field_errors = httpx.Response(
        422,
        json=problem(
            422,
            "reason: a reason is required",
            errors=[
                {"loc": ["body", "reason"], "msg": "a reason is required", "type": "reason_required"},
                {"loc": ["query", "limit"], "msg": "at most 500", "type": "less_than_equal"},
            ],
        ),
    )
    assert problems(field_errors) == [
        "reason: a reason is required (reason_required)",
        "query.limit: at most 500 (less_than_equal)",
    ]
    assert problems(httpx.Response(404, json=problem(404, "no claim CL-9"))) == ["no claim CL-9"]
    refused = httpx.Response(403, json=problem(403, "you filed this claim", code="four_eyes_filer"))
    assert problems(refused) == ["you filed this claim (four_eyes_filer)"]
    assert problems(httpx.Response(401, json={"title": "Unauthorized", "status": 401})) == ["Unauthorized"]
    assert problems(httpx.Response(502, text="Bad Gateway")) == ["Bad Gateway"]


def answering(status: int, body: dict) -> Options:
    """The command with an httpx transport that answers every request with `status` and `body`."""
    return Options(transport=httpx.MockTransport(lambda _request: httpx.Response(status, json=body)))


@pytest.mark.parametrize(
    ("status", "body", "code", "shown"),
    [
        (503, problem(503, "a service Jaring depends on is unavailable; nothing was written"), 4, "unavailable"),
        (
            422,
            problem(
                422,
                "reason: a reason is required",
                errors=[{"loc": ["body", "reason"], "msg": "a reason is required", "type": "reason_required"}],
            ),
            5,
            "reason: a reason is required (reason_required)",
        ),
        (403, problem(403, "needs role officer or supervisor"), 3, "needs role"),
    ],
)
def test_a_commands_exit_code_and_message_come_from_the_services_answer(status, body, code, shown):
    result = CliRunner().invoke(
        app,
        ["claims", "decide", "CL-1", "approve", "--reason", "checked"],
        obj=answering(status, body),
        env={"JARING_TOKEN": "t", "COLUMNS": "200"},
    )
    assert result.exit_code == code, result.output
    assert shown in result.stderr and result.stdout == ""
