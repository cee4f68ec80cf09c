"""`make demo`'s program: on the local default with no settings, and on the real S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from backend.src.libs.bucket.s3_store import S3Store
from tests.conftest import config_for
from tests.servers import ROOT, S3Server

pytestmark = pytest.mark.integration


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "S3_", "BUCKET_", "STORAGE_TYPE"))} | {"PYTHONPATH": str(ROOT)}


def test_demo_on_the_local_default(tmp_path: Path) -> None:
    """With no .env and no server the demo uses ./.bucket-data and every step passes."""
    done = subprocess.run([sys.executable, "-m", "backend.demo"], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "demo on local" in done.stdout
    assert "all steps passed" in done.stdout
    assert done.stdout.count("[ok  ]") == 10
    assert (tmp_path / ".bucket-data" / "demo-bucket").is_dir()


def test_demo_on_the_s3_server(ceph_server: S3Server, tmp_path: Path) -> None:
    """With .env naming an S3 endpoint the same demo runs there."""
    name = f"demo-{uuid.uuid4().hex[:12]}"
    (tmp_path / ".env").write_text(
        f"S3_ENDPOINT_URL={ceph_server.endpoint}\nAWS_ACCESS_KEY_ID={ceph_server.access_key}\n"
        f"AWS_SECRET_ACCESS_KEY={ceph_server.secret_key}\nBUCKET_NAME={name}\n"
    )
    done = subprocess.run([sys.executable, "-m", "backend.demo"], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"demo on s3 ({ceph_server.endpoint})" in done.stdout
    assert done.stdout.count("[ok  ]") == 10
    assert ceph_server.secret_key not in done.stdout + done.stderr
    S3Store(config_for(ceph_server)).delete_bucket(name, force=True)
