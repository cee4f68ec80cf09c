"""The seed program runs unmodified against the real server, configured by BUCKET_* alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from backend.src.libs.bucket.s3.store import S3Store
from tests.servers import ROOT, S3Server

pytestmark = pytest.mark.integration
PROGRAM = Path(__file__).with_name("seed_program.py")


def _run(server: S3Server, password: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    url = urlsplit(server.endpoint)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "BUCKET_"))}
    env.update(
        BUCKET_HOST=url.hostname or "",
        BUCKET_PORT=str(url.port),
        BUCKET_USER=server.access_key,
        BUCKET_PASSWORD=password,
        BUCKET_MAX_RETRIES="1",
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, str(PROGRAM)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_seed_program_every_call_succeeds(s3_server: S3Server, s3_store: S3Store, tmp_path: Path) -> None:
    """Each call of the seed program returns success or data, in order."""
    Path("/tmp/data.json").write_text('{"service": "seed", "ok": true}')
    Path("/tmp/downloaded_data.json").unlink(missing_ok=True)
    try:
        done = _run(s3_server, s3_server.secret_key, tmp_path)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines == ["True", "0", "0", "['config/data.json']", "31", "0", "0", "0"]
        assert Path("/tmp/downloaded_data.json").read_text() == '{"service": "seed", "ok": true}'
        assert list(s3_store.list_objects("application-storage")) == []
    finally:
        s3_store.delete_bucket("application-storage", force=True) if s3_store.bucket_exists(
            "application-storage"
        ) else None


def test_seed_program_with_wrong_password(s3_server: S3Server, tmp_path: Path) -> None:
    """Wrong password: is_connected False, errors (84) instead of exceptions, until the data
    access that the seed program itself does without checking; the password is never shown,
    and the library prints nothing of its own (the program configures no logging: the
    library's failures are WARNING records for an application that listens, issue 23)."""
    Path("/tmp/data.json").write_text("{}")
    wrong = "wrong-seed-password-9c1e"
    done = _run(s3_server, wrong, tmp_path)
    output = done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:4] == ["False", "84", "84", "84"]
    # the program indexes the result of get_bucket_file (84) with ["file_size"]: its own TypeError
    assert "TypeError" in done.stderr
    assert wrong not in output
    assert "SignatureDoesNotMatch" not in done.stderr
    assert done.stderr.count("Traceback") == 1  # the program's own TypeError, nothing else
