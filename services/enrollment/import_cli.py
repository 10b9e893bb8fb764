"""Import a city list from the command line, with a progress bar:

    .venv/bin/python -m services.enrollment.import_cli pasar_terong.csv
    (defaults: http://127.0.0.1:8101 and the officer token the local stack wrote)

`jaring workers import` is the same import (it calls `import_file`). It is a client of the HTTP API
(POST /v1/imports, then GET /v1/imports/{id}); the rules and the import itself run in the service.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

app = typer.Typer(add_completion=False)
console = Console()


class ImportRefused(Exception):
    """The service did not accept the file; `answer` says why (status and body)."""

    def __init__(self, answer: httpx.Response):
        super().__init__(f"import refused ({answer.status_code})")
        self.answer = answer


def import_file(
    client: httpx.Client, csv_file: Path, out: Console, show_rejections: int = 20, poll_seconds: float = 0.5
) -> dict:
    """Sends the file, follows the import with a progress bar, prints the outcome and returns the
    import's final record. `client` carries the base URL and the officer's token (`jaring workers
    import` calls this too)."""
    started = client.post(
        "/v1/imports",
        params={"filename": csv_file.name},
        content=csv_file.read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    if started.status_code != 202:
        raise ImportRefused(started)
    record = started.json()
    if record["already_imported"]:
        out.print(f"this file was imported before as {record['import_id']}: nothing changes")
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out
    ) as progress:
        task = progress.add_task(
            f"importing {csv_file.name}", total=record["rows_total"], completed=record["rows_done"]
        )
        while record["status"] == "running":
            time.sleep(poll_seconds)
            polled = client.get(f"/v1/imports/{record['import_id']}")
            polled.raise_for_status()
            record = polled.json()
            progress.update(task, completed=record["rows_done"])
    out.print(
        f"{record['import_id']}: {record['status']} — enrolled {record['rows_enrolled']}, "
        f"already registered {record['rows_existing']}, rejected {record['rows_rejected']}"
    )
    for rejection in record["rejections"][:show_rejections]:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in rejection["errors"])
        out.print(f"  row {rejection['row']}: {problems}")
    return record


@app.command()
def main(
    csv_file: Path = typer.Argument(..., exists=True, readable=True, help="the city's list, with a header row"),
    url: str = typer.Option("http://127.0.0.1:8101", envvar="ENROLLMENT_URL"),
    token_file: Path = typer.Option(Path(".jaring/tokens/officer.token"), envvar="JARING_TOKEN_FILE"),
    show_rejections: int = typer.Option(20, help="how many rejected rows to list"),
) -> None:
    headers = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        try:
            record = import_file(client, csv_file, console, show_rejections)
        except ImportRefused as exc:
            console.print(f"[red]import refused ({exc.answer.status_code}):[/red] {exc.answer.text}")
            raise typer.Exit(1) from None
    if record["status"] != "finished":
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
