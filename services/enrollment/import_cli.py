"""Import a city list from the command line, with a progress bar:

    .venv/bin/python -m services.enrollment.import_cli pasar_terong.csv
    (defaults: http://127.0.0.1:8101 and the officer token the local stack wrote)

It is a client of the HTTP API (POST /v1/imports, then GET /v1/imports/{id}); the rules and
the import itself run in the service.
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


@app.command()
def main(
    csv_file: Path = typer.Argument(..., exists=True, readable=True, help="the city's list, with a header row"),
    url: str = typer.Option("http://127.0.0.1:8101", envvar="ENROLLMENT_URL"),
    token_file: Path = typer.Option(Path(".jaring/tokens/officer.token"), envvar="JARING_TOKEN_FILE"),
    show_rejections: int = typer.Option(20, help="how many rejected rows to list"),
) -> None:
    headers = {"Authorization": f"Bearer {token_file.read_text().strip()}", "Content-Type": "text/csv"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        started = client.post("/v1/imports", params={"filename": csv_file.name}, content=csv_file.read_bytes())
        if started.status_code != 202:
            console.print(f"[red]import refused ({started.status_code}):[/red] {started.text}")
            raise typer.Exit(1)
        record = started.json()
        if record["already_imported"]:
            console.print(f"this file was imported before as {record['import_id']}: nothing changes")
        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task(f"importing {csv_file.name}", total=record["rows_total"],
                                     completed=record["rows_done"])
            while record["status"] == "running":
                time.sleep(0.5)
                record = client.get(f"/v1/imports/{record['import_id']}").json()
                progress.update(task, completed=record["rows_done"])
    console.print(f"{record['import_id']}: {record['status']} — enrolled {record['rows_enrolled']}, "
                  f"already registered {record['rows_existing']}, rejected {record['rows_rejected']}")
    for rejection in record["rejections"][:show_rejections]:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in rejection["errors"])
        console.print(f"  row {rejection['row']}: {problems}")
    if record["status"] != "finished":
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
