"""Which interpreter `.venv` is made from: the images' (Debian's python3) where it is 3.11+.

A CPython built without LTO and profile-guided optimisation spends more CPU on the same code (9 % of
the services' at 100 claims/s: docs/benchmarks.md, "Round 15"), so the local stack, the tests and the
benchmarks run on the build the images run, and fall back to the python3 on PATH only where that one is
missing or older than 3.11.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.stack import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def chosen(**variables: str) -> str:
    argv = ["make", "-s", "--no-print-directory", "-C", str(REPO), "python"]
    argv += [f"{name}={value}" for name, value in variables.items()]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


def fake_interpreter(tmp_path: Path, version: str) -> Path:
    """A stand-in for /usr/bin/python3 that reports `version` to the Makefile's check."""
    major, minor = version.split(".")
    script = tmp_path / f"python{version}"
    script.write_text(
        f'#!/bin/sh\nexec python3 -c "import sys; sys.version_info = ({major}, {minor}, 0); exec(sys.argv[1])" "$2"\n'
    )
    script.chmod(0o755)
    return script


def test_debian_python_3_11_or_later_is_chosen(tmp_path):
    system = fake_interpreter(tmp_path, "3.11")
    assert chosen(SYSTEM_PYTHON=str(system)) == str(system)


def test_an_older_system_python_falls_back_to_the_one_on_path(tmp_path):
    system = fake_interpreter(tmp_path, "3.9")
    assert chosen(SYSTEM_PYTHON=str(system)) == "python3"


def test_a_missing_system_python_falls_back_to_the_one_on_path(tmp_path):
    assert chosen(SYSTEM_PYTHON=str(tmp_path / "absent")) == "python3"


def test_an_interpreter_named_on_the_command_line_wins(tmp_path):
    system = fake_interpreter(tmp_path, "3.12")
    assert chosen(SYSTEM_PYTHON=str(system), PYTHON="/opt/python3.13/bin/python3") == "/opt/python3.13/bin/python3"
