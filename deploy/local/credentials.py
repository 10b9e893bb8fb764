"""The local stack's auth material: one random signing secret and one JWT per role, each in
a file only its owner can read (mode 600).

The tokens live one working shift (JARING_AUTH_TOKEN_HOURS, default 8 h) and name the
stack's issuer and audience; `make up` writes new ones every time it runs, so running it
again (it leaves what already runs alone) is how a developer gets fresh tokens.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shared.auth import HUMAN_TOKEN_HOURS, LOCAL_AUDIENCE, LOCAL_ISSUER, issue_token


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 600 (its folder 700), also when the file already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)


def ensure_secret(path: Path) -> str:
    """The signing secret stored at `path`, created (random, 64 characters) on first use."""
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


def auth_env() -> dict[str, str]:
    """Issuer, audience and token lifetime for every process of the stack: the local defaults
    unless the developer's environment sets them."""
    return {
        "JARING_AUTH_ISSUER": os.environ.get("JARING_AUTH_ISSUER") or LOCAL_ISSUER,
        "JARING_AUTH_AUDIENCE": os.environ.get("JARING_AUTH_AUDIENCE") or LOCAL_AUDIENCE,
        "JARING_AUTH_TOKEN_HOURS": os.environ.get("JARING_AUTH_TOKEN_HOURS") or str(HUMAN_TOKEN_HOURS),
    }


def write_tokens(token_dir: Path, secret: str, roles: tuple[str, ...]) -> dict[str, Path]:
    """One token per role in `<token_dir>/<role>.token`, subject `local-<role>`; rewritten on
    every call, so an expired one is replaced by the next `make up`."""
    env = auth_env()
    paths = {}
    for role in roles:
        paths[role] = token_dir / f"{role}.token"
        token = issue_token(
            secret,
            f"local-{role}",
            role,
            issuer=env["JARING_AUTH_ISSUER"],
            audience=env["JARING_AUTH_AUDIENCE"],
            ttl_seconds=int(env["JARING_AUTH_TOKEN_HOURS"]) * 3600,
        )
        write_private(paths[role], token + "\n")
    return paths
