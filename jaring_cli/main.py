"""`jaring`: claims, worker imports, dead letters, lag, traces and local tokens from a terminal.

Tables by default, `--json` for scripts; exit codes in jaring_cli.http.ExitCode (docs/operations.md).
Every command is a client of a service's HTTP API: the rules, roles and audit stay in the services.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from deploy.local.credentials import auth_env
from jaring_cli.http import Api, ExitCode, fail, reachable
from jaring_cli.where import NoToken, client_credentials_token, local_secret
from services.enrollment.import_cli import ImportRefused, import_file
from shared.auth import HUMAN_TOKEN_HOURS, ROLES, issue_token

out = Console()
Role = StrEnum("Role", {role: role for role in ROLES})


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"


class JaringGroup(TyperGroup):
    """Usage errors (unknown command, missing argument, bad option) exit 1, not click's 2: 2 is
    "not found" here, and scripts must be able to tell them apart. (Typer vendors click, whose
    usage errors are the exceptions whose class sets exit code 2.)"""

    def make_context(self, *args: Any, **kwargs: Any) -> typer.Context:
        try:
            return super().make_context(*args, **kwargs)
        except typer.TyperException as exc:
            raise _as_usage(exc) from None

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            raise _as_usage(exc) from None


def _as_usage(exc: typer.TyperException) -> typer.TyperException:
    if getattr(exc, "exit_code", None) == 2:
        exc.exit_code = int(ExitCode.USAGE)  # type: ignore[attr-defined]
    return exc


# A terminal command prints answers, not its HTTP client's request log (httpx logs each request at
# INFO wherever logging was configured: another library, or a test process).
logging.getLogger("httpx").setLevel(logging.WARNING)

app = typer.Typer(
    cls=JaringGroup,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Jaring from a terminal. URLs from JARING_CLAIMS_URL, JARING_CONSOLE_URL, "
    "JARING_ENROLLMENT_URL (else the local stack's ports); the token from JARING_TOKEN "
    "(else .jaring/tokens/<role>.token). Exit codes: 0 ok, 1 usage, 2 not found, "
    "3 refused (401/403, no token), 4 service unavailable, 5 invalid input (422), 6 conflict (409).",
)
claims_app = typer.Typer(no_args_is_help=True, help="Claims: list, show, decide.")
workers_app = typer.Typer(no_args_is_help=True, help="Workers (participants): bulk import.")
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: list, replay, discard (console, operator).")
app.add_typer(claims_app, name="claims")
app.add_typer(workers_app, name="workers")
app.add_typer(dlq_app, name="dlq")


@dataclass
class Options:
    """Given by the caller of `app` (tests pass an httpx transport) or left to the defaults."""

    transport: httpx.BaseTransport | None = None
    role: str | None = None  # overrides each command's own role when picking a local token file


@app.callback()
def root(
    ctx: typer.Context,
    role: Annotated[
        Role | None, typer.Option(help="whose local token to send; each command has its own default")
    ] = None,
) -> None:
    if not isinstance(ctx.obj, Options):
        ctx.obj = Options()
    if role is not None:
        ctx.obj.role = role.value


def api(ctx: typer.Context, service: str, role: str) -> Api:
    options: Options = ctx.find_root().obj
    return Api(service, options.role or role, options.transport)


AsJson = Annotated[bool, typer.Option("--json", help="print the service's JSON answer, for scripts")]


def emit_json(data: Any) -> None:
    # Plain print, not rich: a script reads it, and rich would wrap long lines.
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Table:
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*("" if v is None else str(v) for v in row))
    return shown


# --- claims -------------------------------------------------------------------------------------------


@claims_app.command("list")
def claims_list(
    ctx: typer.Context,
    as_json: AsJson = False,
    status: Annotated[str | None, typer.Option(help="e.g. needs_review, approved, payout_recorded")] = None,
    participant: Annotated[str | None, typer.Option(help="a participant id (P-…)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """Claims, oldest filed first."""
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    if participant:
        params["participant_id"] = participant
    with api(ctx, "claims", "officer") as claims:
        found = claims.call("GET", "/v1/claims", params=params)
    if as_json:
        emit_json(found)
        return
    out.print(
        table(
            f"{len(found)} claims",
            ["claim", "type", "status", "participant", "incident", "filed at", "deadline"],
            [
                [
                    c["claim_id"],
                    c["claim_type"],
                    c["status"],
                    c["participant_id"],
                    c["incident_date"],
                    c["filed_at"],
                    c.get("sla_deadline"),
                ]
                for c in found
            ],
        )
    )


@claims_app.command("show")
def claims_show(
    ctx: typer.Context, claim_id: Annotated[str, typer.Argument(help="CL-…")], as_json: AsJson = False
) -> None:
    """One claim: status, documents, reasons, deadline, payout and steps."""
    with api(ctx, "claims", "officer") as claims:
        claim = claims.call("GET", f"/v1/claims/{claim_id}")
    if as_json:
        emit_json(claim)
        return
    sla = claim.get("sla") or {}
    facts = [
        ["status", claim["status"]],
        ["type", claim["claim_type"]],
        ["participant", claim["participant_id"]],
        ["incident", f"{claim['incident_date']}, {claim['incident_place']}"],
        ["cause", claim["cause"]],
        ["documents", ", ".join(claim["documents"])],
        ["missing documents", ", ".join(claim["missing_documents"] or [])],
        ["reasons", "; ".join(f"{r.get('code')}: {r.get('message', '')}" for r in claim["reasons"] or [])],
        ["decided by", claim.get("decided_by")],
        ["deadline", sla.get("deadline")],
        ["days left", sla.get("days_left")],
        ["disbursement", (claim.get("disbursement") or {}).get("status")],
        ["total cash", claim["payout"]["total_cash"]],
        ["filed", f"{claim['filed_at']} by {claim['filed_by']}"],
    ]
    out.print(table(claim["claim_id"], ["", ""], facts))
    components = claim["payout"]["components"]
    if components:
        out.print(table("payout", list(components[0].keys()), [list(c.values()) for c in components]))
    out.print(
        table(
            "steps",
            ["at", "step", "detail"],
            [[s["at"], s["step"], json.dumps(s.get("detail") or {}, ensure_ascii=False)] for s in claim["steps"]],
        )
    )


@claims_app.command("decide")
def claims_decide(
    ctx: typer.Context,
    claim_id: Annotated[str, typer.Argument(help="CL-…")],
    decision: Annotated[Decision, typer.Argument(help="approve or reject")],
    reason: Annotated[str, typer.Option(help="why; kept in the claim's audit trail")],
    as_json: AsJson = False,
) -> None:
    """An officer's or supervisor's decision on a claim waiting for review (supervisor's token by default)."""
    with api(ctx, "claims", "supervisor") as claims:
        decided = claims.call(
            "POST", f"/v1/claims/{claim_id}/decision", json={"decision": decision.value, "reason": reason}
        )
    if as_json:
        emit_json(decided)
    else:
        out.print(f"{decided['claim_id']}: {decided['status']}")


# --- workers ------------------------------------------------------------------------------------------


@workers_app.command("import")
def workers_import(
    ctx: typer.Context,
    csv_file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the city's list, with a header row")
    ],
    show_rejections: Annotated[int, typer.Option(help="how many rejected rows to list")] = 20,
    as_json: AsJson = False,
) -> None:
    """Enrol a city list (CSV) through enrollment's import, with a progress bar."""
    with api(ctx, "enrollment", "officer") as enrollment:
        # The progress bar goes to stderr when the JSON record is what stdout is for.
        shown = Console(stderr=True) if as_json else out
        try:
            with reachable("enrollment", str(enrollment.client.base_url)):
                record = import_file(enrollment.client, csv_file, shown, show_rejections)
        except ImportRefused as exc:
            enrollment.answered(exc.answer)
            raise  # answered() always raises for a refusal
        except httpx.HTTPStatusError as exc:
            enrollment.answered(exc.response)
            raise
    if as_json:
        emit_json(record)
    if record["status"] != "finished":
        raise fail(ExitCode.UNAVAILABLE, f"import {record['import_id']} {record['status']}: see enrollment's log")


# --- dead letters -------------------------------------------------------------------------------------


@dlq_app.command("list")
def dlq_list(
    ctx: typer.Context,
    topic: Annotated[str | None, typer.Argument(help="a .dlq topic; without it, a count per topic")] = None,
    status: Annotated[str, typer.Option(help="waiting, replayed, discarded or all")] = "waiting",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
    as_json: AsJson = False,
) -> None:
    """Dead-letter topics and their counts, or one topic's messages."""
    with api(ctx, "console", "operator") as console:
        if topic is None:
            found = console.call("GET", "/v1/dlq")
        else:
            found = console.call("GET", f"/v1/dlq/{topic}", params={"status": status, "limit": limit})
    if as_json:
        emit_json(found)
    elif topic is None:
        out.print(
            table(
                "dead letters",
                ["topic", "waiting", "replayed", "discarded"],
                [[t["name"], t["count"], t["replayed"], t["discarded"]] for t in found["topics"]],
            )
        )
    else:
        out.print(
            table(
                f"{topic}: {status}",
                ["partition", "offset", "from", "event", "correlation", "consumer", "reason", "at"],
                [
                    [
                        m["partition"],
                        m["offset"],
                        f"{m['original_topic']}/{m['original_partition']}/{m['original_offset']}",
                        m["event_type"],
                        m["correlation_id"],
                        m["consumer"],
                        m["reason"],
                        m["dead_lettered_at"],
                    ]
                    for m in found["messages"]
                ],
            )
        )


Partition = Annotated[int, typer.Argument(min=0)]
Offset = Annotated[int, typer.Argument(min=0)]


@dlq_app.command("replay")
def dlq_replay(ctx: typer.Context, topic: str, partition: Partition, offset: Offset, as_json: AsJson = False) -> None:
    """Send a dead letter back to its original topic (its bytes and headers; the inbox makes a second
    delivery harmless). Audited under the operator's name."""
    with api(ctx, "console", "operator") as console:
        done = console.call("POST", f"/v1/dlq/{topic}/{partition}/{offset}/replay")
    if as_json:
        emit_json(done)
    else:
        out.print(f"replayed {topic}/{partition}/{offset} to {done.get('to_topic')}")


@dlq_app.command("discard")
def dlq_discard(
    ctx: typer.Context,
    topic: str,
    partition: Partition,
    offset: Offset,
    reason: Annotated[str, typer.Option(help="why it is dropped; kept in the audit")],
    as_json: AsJson = False,
) -> None:
    """Mark a dead letter as dealt with, without replaying it. Audited under the operator's name."""
    with api(ctx, "console", "operator") as console:
        done = console.call("POST", f"/v1/dlq/{topic}/{partition}/{offset}/discard", json={"reason": reason})
    if as_json:
        emit_json(done)
    else:
        out.print(f"discarded {topic}/{partition}/{offset}")


# --- lag and trace ------------------------------------------------------------------------------------


@app.command("lag")
def lag(
    ctx: typer.Context,
    as_json: AsJson = False,
    partitions: Annotated[bool, typer.Option(help="one row per partition")] = False,
) -> None:
    """Consumer lag per group and topic (committed against end offsets), as the console reads it from Kafka."""
    with api(ctx, "console", "operator") as console:
        flows = console.call("GET", "/v1/flows")
    if as_json:
        emit_json(flows)
        return
    rows = []
    for group in flows["groups"]:
        for topic in group["lag"]:
            if partitions:
                rows += [
                    [group["group_id"], group["state"], topic["topic"], p["partition"], p["lag"]]
                    for p in topic["partitions"]
                ]
            else:
                rows.append(
                    [
                        group["group_id"],
                        group["state"],
                        topic["topic"],
                        f"{topic['worst_partition']} ({topic['worst_partition_lag']})",
                        topic["lag"],
                    ]
                )
    columns = ["group", "state", "topic", "partition" if partitions else "worst partition (lag)", "lag"]
    out.print(table(f"consumer lag at {flows['taken_at']}", columns, rows))


@app.command("trace")
def trace(
    ctx: typer.Context,
    correlation_id: Annotated[str, typer.Argument(help="a claim (CL-…) or participant id")],
    as_json: AsJson = False,
) -> None:
    """Every event of a claim or participant as the console indexed it from Kafka, and each claim's steps."""
    with api(ctx, "console", "operator") as console:
        found = console.call("GET", f"/v1/trace/{correlation_id}")
    if not found["events"]:
        # The console answers 200 with nothing for an id it never saw: for a script that is "not found".
        if as_json:
            emit_json(found)
        raise fail(ExitCode.NOT_FOUND, f"no events for {correlation_id} in the console's index")
    if as_json:
        emit_json(found)
        return
    out.print(
        table(
            correlation_id,
            ["at", "event", "topic/partition/offset", "producer", "correlation"],
            [
                [
                    e["occurred_at"],
                    e["type"],
                    f"{e['topic']}/{e['partition']}/{e['offset']}",
                    e["producer"],
                    e["correlation_id"],
                ]
                for e in found["events"]
            ],
        )
    )
    for claim_id, claim in found["claims"].items():
        out.print(
            table(
                f"{claim_id}: {claim['status']}",
                ["step", "outcome", "at", "since previous (s)"],
                [[s["step"], s["outcome"], s["at"], s["since_previous_s"]] for s in claim["steps"]],
            )
        )


# --- tokens -------------------------------------------------------------------------------------------


@app.command("token")
def token(
    role: Annotated[Role | None, typer.Option(help="the token's role (not with --oidc)")] = None,
    subject: Annotated[str | None, typer.Option(help="who acts; default local-<role>")] = None,
    hours: Annotated[
        int, typer.Option(min=1, max=HUMAN_TOKEN_HOURS, help="how long it is valid (the services refuse longer)")
    ] = HUMAN_TOKEN_HOURS,
    oidc: Annotated[
        bool, typer.Option("--oidc", help="ask the identity provider (client credentials) instead of signing locally")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """A token for the local stack, signed with its secret (.jaring/auth/secret, or JARING_AUTH_SECRET);
    with --oidc, one from Keycloak for the scripts' client (its role is the client's: operator).
    Use: export JARING_TOKEN=$(jaring token --role operator)"""
    if oidc:
        if role is not None or subject is not None:
            raise fail(ExitCode.USAGE, "--oidc takes no --role or --subject: the identity provider names them")
        try:
            signed = client_credentials_token()
        except NoToken as exc:
            raise fail(ExitCode.REFUSED, str(exc)) from None
        claims = jwt.decode(signed, options={"verify_signature": False})
        role_name, who = str(claims.get("role")), str(claims.get("sub"))
    else:
        if role is None:
            raise fail(ExitCode.USAGE, "--role is needed (or --oidc)")
        try:
            secret = local_secret()
        except NoToken as exc:
            raise fail(ExitCode.USAGE, str(exc)) from None
        who, role_name = subject or f"local-{role.value}", role.value
        stack = auth_env()  # the issuer and audience the local stack's services expect
        signed = issue_token(
            secret,
            who,
            role.value,
            issuer=stack["JARING_AUTH_ISSUER"],
            audience=stack["JARING_AUTH_AUDIENCE"],
            ttl_seconds=hours * 3600,
        )
    if as_json:
        expires = jwt.decode(signed, options={"verify_signature": False})["exp"]
        emit_json(
            {
                "role": role_name,
                "subject": who,
                "token": signed,
                "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
            }
        )
    else:
        typer.echo(signed)


def main() -> None:
    """The `jaring` entry point ([project.scripts])."""
    app(prog_name="jaring")
