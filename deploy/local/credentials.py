"""The local stack's auth material: one random signing secret and one long-lived JWT
per role, each in a file only its owner can read (mode 600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shared.auth import issue_token


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


def write_tokens(token_dir: Path, secret: str, roles: tuple[str, ...]) -> dict[str, Path]:
    """One token per role in `<token_dir>/<role>.token`, subject `local-<role>`; rewritten on
    every call so they never run out while the stack is in use."""
    paths = {}
    for role in roles:
        paths[role] = token_dir / f"{role}.token"
        write_private(paths[role], issue_token(secret, f"local-{role}", role) + "\n")
    return paths
