"""``bucket health`` and ``bucket doctor``, the unreachable endpoint, ``--debug``,
``python -m backend``, and secrets kept out of every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

pytestmark = pytest.mark.integration

UNREACHABLE = {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_CONNECT_TIMEOUT": "1"}


def test_health_ok(cli: Cli) -> None:
    """health exits 0 with ``ok: KIND ...`` (text) and ok/latency (JSON)."""
    assert cli.ok("health").stdout.startswith(f"ok: {cli.kind} ")
    doc = json.loads(cli.ok("health", "--json").stdout)
    assert doc["ok"] is True and doc["storage"] == cli.kind and doc["latency_ms"] >= 0


def test_unreachable_endpoint_is_one_line(s3_cli: Cli) -> None:
    """Every command against an endpoint nobody listens on exits 1 quickly with one
    ConnectionFailed line, no traceback."""
    for args in (("health",), ("ls",), ("ls", "s3://some-bucket"), ("stat", "s3://some-bucket/k")):
        started = time.monotonic()
        line = s3_cli.fails(1, *args, extra_env=UNREACHABLE)
        assert "ConnectionFailed" in line and "cannot reach the endpoint" in line
        assert time.monotonic() - started < 30


def test_debug_shows_the_traceback(s3_cli: Cli) -> None:
    """--debug adds the traceback (and request logs) on stderr; the exit status stays 1."""
    result = s3_cli("--debug", "ls", extra_env=UNREACHABLE)
    assert result.returncode == 1 and "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("bucket: error: ConnectionFailed")


def test_endpoint_option_overrides_the_environment(s3_cli: Cli) -> None:
    """--endpoint wins over S3_ENDPOINT_URL: the good environment fails when the option
    names a dead port, and the dead environment works when the option names the server."""
    assert "127.0.0.1:9" in s3_cli.fails(1, "--endpoint", "http://127.0.0.1:9", "ls")
    good = s3_cli.env["S3_ENDPOINT_URL"]
    assert s3_cli.ok("ls", "--endpoint", good, extra_env=UNREACHABLE).returncode == 0


def test_doctor_all_checks_pass_on_ceph(s3_cli: Cli) -> None:
    """doctor prints one line per check (endpoint, clock, credentials, addressing,
    region, presigned URL, checksum, permissions), all ok, exit 0; JSON has the
    same checks and the IAM policy; the scratch bucket is removed."""
    before = {b["name"] for b in json.loads(s3_cli.ok("ls", "--json").stdout)}
    lines = s3_cli.ok("doctor").stdout.splitlines()
    names = [line.split("] ", 1)[1].split(":", 1)[0] for line in lines]
    assert names == ["endpoint reachable", "clock skew", "credentials", "addressing style",
                     "region", "presigned URL", "checksum compatibility", "permissions"]
    assert all(line.startswith("[ ok ]") for line in lines), lines
    doc = json.loads(s3_cli.ok("doctor", "--json").stdout)
    assert doc["ok"] is True and [c["status"] for c in doc["checks"]] == ["ok"] * 8
    assert "s3:PutObject" in json.dumps(doc["policy"]) and doc["denied"] == []
    after = {b["name"] for b in json.loads(s3_cli.ok("ls", "--json").stdout)}
    assert not {n for n in after - before if n.startswith("bucket-doctor-")}


def test_doctor_wrong_secret_and_unreachable(s3_cli: Cli) -> None:
    """With a wrong secret, doctor fails the credentials line with a fix naming the
    variables (and never prints the secret); with no server, the endpoint line fails
    and the rest are skipped; both exit 1 with one error line."""
    wrong = {"AWS_SECRET_ACCESS_KEY": "not-the-right-secret-1234"}
    result = s3_cli("doctor", extra_env=wrong)
    assert result.returncode == 1
    bad = [line for line in result.stdout.splitlines() if line.startswith("[fail]")]
    assert len(bad) == 1 and bad[0].startswith("[fail] credentials:") and "AWS_SECRET_ACCESS_KEY" in bad[0]
    assert result.stderr.strip() == "bucket: error: doctor: 1 check(s) failed"
    down = s3_cli("doctor", "--json", extra_env=UNREACHABLE)
    doc = json.loads(down.stdout)
    assert down.returncode == 1 and doc["checks"][0]["status"] == "fail"
    assert "S3_ENDPOINT_URL" in doc["checks"][0]["fix"]
    assert {c["status"] for c in doc["checks"][1:]} == {"skip"}


def test_doctor_on_the_local_store(local_cli: Cli) -> None:
    """On the local store doctor prints what applies: the root folder and its leftover
    temporaries (a warning naming ``bucket gc`` when a killed writer left one), and one
    line for the S3 checks it did not make; ``--json`` still lists each of them."""
    lines = local_cli.ok("doctor").stdout.splitlines()
    assert lines[0].startswith("[ ok ] local root:")
    assert lines[1].startswith("[ ok ] temporaries: none older than 1 h")
    assert lines[2].startswith("not checked: endpoint reachable, credentials,")
    assert len(lines) == 3 and not any(line.startswith("[skip]") for line in lines)
    doc = json.loads(local_cli.ok("doctor", "--json").stdout)
    assert [c["status"] for c in doc["checks"]] == ["ok", "ok"] + ["skip"] * 8
    root = Path(local_cli.env["BUCKET_LOCAL_ROOT"])
    old = root / ("." + "0" * 32 + ".tmp")
    old.write_bytes(b"x" * 10)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    warned = local_cli.ok("doctor").stdout.splitlines()[1]
    assert warned.startswith("[warn] temporaries: 1 left by interrupted writes (10 bytes)")
    assert f"fix: bucket gc {root}" in warned


def test_python_dash_m_backend(s3_cli: Cli) -> None:
    """``python -m backend`` is the same program: health exits 0, a bad path exits 2."""
    run = subprocess.run([sys.executable, "-m", "backend", "health"], env=s3_cli.env,
                         cwd=s3_cli.cwd, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0 and run.stdout.startswith("ok: s3 ")
    run = subprocess.run([sys.executable, "-m", "backend", "stat", "no-scheme"], env=s3_cli.env,
                         cwd=s3_cli.cwd, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2 and run.stderr.startswith("bucket: error:") and "Traceback" not in run.stderr


def test_settings_error_names_the_variable(local_cli: Cli) -> None:
    """An invalid setting exits 1 with one line naming the variable."""
    line = local_cli.fails(1, "ls", extra_env={"BUCKET_MAX_RETRIES": "lots"})
    assert "BUCKET_MAX_RETRIES" in line
