"""`make demo`'s program: on the local default with no settings, and on the real S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for
from tests.servers import ROOT, S3Server

pytestmark = pytest.mark.integration


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "S3_", "BUCKET_", "STORAGE_TYPE"))
    } | {"PYTHONPATH": str(ROOT)}


def _run_demo(folder: Path) -> subprocess.CompletedProcess[str]:
    """``python -m backend.demo`` in ``folder`` (its .env, if any), output captured."""
    return subprocess.run(
        [sys.executable, "-m", "backend.demo"],
        cwd=folder,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_on_the_local_default(tmp_path: Path) -> None:
    """With no .env and no server the demo uses ./.bucket-data and every step passes;
    the demo configures logging (WARNING and above on stderr), so the library's one
    announcement of the default folder store is there, once, and nothing else."""
    done = _run_demo(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "demo on local" in done.stdout
    assert "all steps passed" in done.stdout
    assert done.stdout.count("[ok  ]") == 10
    assert "\x1b" not in done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "WARNING bucket: no setting points at S3: storing objects in the local folder "
        f"{tmp_path / '.bucket-data'} (LocalStore); set STORAGE_TYPE=local or "
        "BUCKET_LOCAL_ROOT to choose a local folder on purpose, or point the settings at S3 "
        "(BUCKET_HOST, S3_ENDPOINT_URL, a bucket name, a region or credentials: "
        "docs/configuration.md)"
    ]
    assert (tmp_path / ".bucket-data" / "demo-bucket").is_dir()


def test_demo_on_the_s3_server(ceph_server: S3Server, tmp_path: Path) -> None:
    """With .env naming an S3 endpoint the same demo runs there."""
    name = f"demo-{uuid.uuid4().hex[:12]}"
    (tmp_path / ".env").write_text(
        f"S3_ENDPOINT_URL={ceph_server.endpoint}\nAWS_ACCESS_KEY_ID={ceph_server.access_key}\n"
        f"AWS_SECRET_ACCESS_KEY={ceph_server.secret_key}\nBUCKET_NAME={name}\n"
    )
    done = _run_demo(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"demo on s3 ({ceph_server.endpoint})" in done.stdout
    assert done.stdout.count("[ok  ]") == 10
    assert ceph_server.secret_key not in done.stdout + done.stderr
    S3Store(config_for(ceph_server)).delete_bucket(name, force=True)


def test_demo_stops_after_a_failed_health_check(tmp_path: Path) -> None:
    """With .env naming a server that is not running (127.0.0.1:1) the demo stops after the
    health check: non-zero exit, one message saying what to do (make up, or remove .env),
    no [FAIL] steps, no ERROR log lines, no ANSI escape codes in piped output."""
    (tmp_path / ".env").write_text(
        "BUCKET_HOST=127.0.0.1\nBUCKET_PORT=1\nBUCKET_USER=demo\nBUCKET_PASSWORD=demo-secret\n"
    )
    done = _run_demo(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode not in (0, None), output
    assert "[FAIL]" not in output and "[ok  ]" not in output
    assert "ERROR" not in output
    assert "\x1b" not in output
    assert done.stderr.count("bucket demo:") == 1, done.stderr
    assert "127.0.0.1:1" in done.stderr
    assert "`make up`" in done.stderr and "remove .env" in done.stderr


def test_demo_script_stops_the_same_way(tmp_path: Path) -> None:
    """scripts/demo.sh (what make demo runs) passes the demo's exit status through."""
    (tmp_path / ".env").write_text("BUCKET_HOST=127.0.0.1\nBUCKET_PORT=1\nBUCKET_MAX_RETRIES=0\n")
    env = _clean_env() | {"PY": sys.executable}
    script = tmp_path / "demo.sh"
    # the script changes to the repository; run a copy that stays in tmp_path instead
    script.write_text(
        (ROOT / "scripts" / "demo.sh")
        .read_text()
        .replace('cd "$(dirname "$0")/.."', f'cd "{tmp_path}"')
    )
    done = subprocess.run(
        ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "make up" in done.stderr and "\x1b" not in done.stdout + done.stderr
