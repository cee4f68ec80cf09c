"""Run Python with no way off the machine: ``tests/dial_guard.c``, preloaded, fails every
``connect()`` outside the loopback range and every ``getaddrinfo()`` of a name that is not
a loopback name, for Python's sockets and native clients alike (obstore's Rust client has
no Python socket to patch), and writes each attempt as one line to a log file.

``run(args, folder, env)`` builds the guard with the machine's C compiler (once per
folder) and runs ``args`` under it; its result says what was dialed. Where no C compiler
is installed, ``available()`` is False and the tests that need the guard are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).with_name("dial_guard.c")


def compiler() -> str | None:
    """The C compiler the guard is built with, or None."""
    return shutil.which("cc") or shutil.which("gcc")


def available() -> bool:
    return compiler() is not None


def build(folder: Path) -> Path:
    """``folder/dial_guard.so`` (built when missing)."""
    library = folder / "dial_guard.so"
    if not library.exists():
        cc = compiler()
        assert cc is not None, "no C compiler: check dial_guard.available() first"
        subprocess.run(
            [cc, "-shared", "-fPIC", "-O1", "-o", str(library), str(SOURCE), "-ldl"],
            check=True,
            capture_output=True,
        )
    return library


@dataclass(frozen=True)
class Guarded:
    """A guarded run: its exit status, output, and every dial it attempted."""

    returncode: int
    stdout: str
    stderr: str
    dialed: list[str]


def run(args: list[str], folder: Path, env: dict[str, str], *, timeout: float = 240) -> Guarded:
    """Run ``args`` in ``folder`` with the guard preloaded and ``env`` (added to a copy of
    this process's environment without its AWS, S3 and BUCKET variables)."""
    log = folder / "dialed.log"
    log.unlink(missing_ok=True)
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3_", "BUCKET_")) and k != "STORAGE_TYPE"
    }
    clean.update(env, LD_PRELOAD=str(build(folder)), DIAL_GUARD_LOG=str(log))
    done = subprocess.run(
        args, cwd=folder, env=clean, capture_output=True, text=True, timeout=timeout
    )
    dialed = log.read_text().splitlines() if log.exists() else []
    return Guarded(done.returncode, done.stdout, done.stderr, dialed)
