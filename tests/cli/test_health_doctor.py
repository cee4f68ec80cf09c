"""``bucket health`` and ``bucket doctor``, the unreachable endpoint, ``--debug``,
``python -m backend``, and secrets kept out of every output."""

from __future__ import annotations

import email.utils
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

pytestmark = pytest.mark.integration

UNREACHABLE = {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_CONNECT_TIMEOUT": "1"}
S3_CHECKS = (
    "settings",
    "endpoint reachable",
    "clock skew",
    "credentials",
    "addressing style",
    "bucket",
    "region",
    "presigned URL",
    "checksum compatibility",
    "permissions",
)


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
    """doctor prints one line per check (settings, endpoint, clock, credentials,
    addressing, region, presigned URL, checksum, permissions), all ok, exit 0; JSON has
    the same checks and the IAM policy; the scratch bucket is removed."""
    before = {b["name"] for b in json.loads(s3_cli.ok("ls", "--json").stdout)}
    lines = s3_cli.ok("doctor").stdout.splitlines()
    names = [line.split("] ", 1)[1].split(":", 1)[0] for line in lines]
    assert names == list(S3_CHECKS)
    assert all(line.startswith("[ ok ]") for line in lines), lines
    doc = json.loads(s3_cli.ok("doctor", "--json").stdout)
    assert doc["ok"] is True and [c["status"] for c in doc["checks"]] == ["ok"] * 10
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
    assert (
        len(bad) == 1
        and bad[0].startswith("[fail] credentials:")
        and "AWS_SECRET_ACCESS_KEY" in bad[0]
    )
    assert result.stderr.strip() == "bucket: error: doctor: 1 check(s) failed"
    assert _names(result.stdout) == list(S3_CHECKS)
    doc = json.loads(s3_cli("doctor", "--json", extra_env=wrong).stdout)
    assert [c["name"] for c in doc["checks"]] == list(S3_CHECKS)
    assert [c["status"] for c in doc["checks"]][:5] == ["ok", "ok", "ok", "fail", "ok"]
    down = s3_cli("doctor", "--json", extra_env=UNREACHABLE)
    doc = json.loads(down.stdout)
    assert down.returncode == 1 and doc["checks"][1]["status"] == "fail"
    assert "S3_ENDPOINT_URL" in doc["checks"][1]["fix"]
    assert {c["status"] for c in doc["checks"][2:]} == {"skip"}


def test_doctor_on_the_local_store(local_cli: Cli) -> None:
    """On the local store doctor prints what applies: where the settings came from, the
    root folder and its leftover temporaries (a warning naming ``bucket gc`` when a killed
    writer left one), and one line for the S3 checks it did not make; ``--json`` still
    lists each of them."""
    lines = local_cli.ok("doctor").stdout.splitlines()
    assert lines[0].startswith("[ ok ] settings: process environment: STORAGE_TYPE,")
    assert lines[1].startswith("[ ok ] local root:")
    assert lines[2].startswith("[ ok ] temporaries: none older than 1 h")
    assert lines[3] == "[ ok ] bucket: none named (BUCKET_NAME, --bucket)"
    assert lines[4].startswith("not checked: endpoint reachable, credentials,")
    assert len(lines) == 5 and not any(line.startswith("[skip]") for line in lines)
    doc = json.loads(local_cli.ok("doctor", "--json").stdout)
    assert [c["status"] for c in doc["checks"]] == ["ok"] * 4 + ["skip"] * 8
    root = Path(local_cli.env["BUCKET_LOCAL_ROOT"])
    old = root / ("." + "0" * 32 + ".tmp")
    old.write_bytes(b"x" * 10)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    warned = local_cli.ok("doctor").stdout.splitlines()[2]
    assert warned.startswith("[warn] temporaries: 1 left by interrupted writes (10 bytes)")
    assert f"fix: bucket gc {root}" in warned


def test_python_dash_m_backend(s3_cli: Cli) -> None:
    """``python -m backend`` is the same program: health exits 0, a bad path exits 2."""
    run = subprocess.run(
        [sys.executable, "-m", "backend", "health"],
        env=s3_cli.env,
        cwd=s3_cli.cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0 and run.stdout.startswith("ok: s3 ")
    run = subprocess.run(
        [sys.executable, "-m", "backend", "stat", "no-scheme"],
        env=s3_cli.env,
        cwd=s3_cli.cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (
        run.returncode == 2
        and run.stderr.startswith("bucket: error:")
        and "Traceback" not in run.stderr
    )


def test_settings_error_names_the_variable(local_cli: Cli) -> None:
    """An invalid setting exits 1 with one line naming the variable."""
    line = local_cli.fails(1, "ls", extra_env={"BUCKET_MAX_RETRIES": "lots"})
    assert "BUCKET_MAX_RETRIES" in line


def _names(stdout: str) -> list[str]:
    """The check names of doctor's text lines, in order."""
    return [line.split("] ", 1)[1].split(":", 1)[0] for line in stdout.splitlines()]


def _failures_have_fixes(stdout: str) -> None:
    for line in stdout.splitlines():
        if line.startswith(("[fail]", "[warn]")):
            assert " -> fix: " in line, line


def test_doctor_finishes_with_a_missing_bucket(cli: Cli) -> None:
    """With BUCKET_NAME naming a missing bucket, doctor still makes every check (on Ceph the
    scratch checks run in a temporary bucket: region, presigned URL, checksum all ok), one
    line each: the bucket line fails with the fix ``bucket mb s3://NAME`` or
    BUCKET_AUTO_CREATE when that is off (exit 1), and warns that the library creates it
    when BUCKET_AUTO_CREATE is on (exit 0); ``--json`` holds every check with its status.
    (Before: a NoSuchBucket error after four checks, status 3, and a JSON error alone.)"""
    missing = {"BUCKET_NAME": "no-such-doctor-bucket", "BUCKET_AUTO_CREATE": "false"}
    result = cli("doctor", extra_env=missing)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.strip() == "bucket: error: doctor: 1 check(s) failed"
    _failures_have_fixes(result.stdout)
    bucket_line = next(line for line in result.stdout.splitlines() if "] bucket:" in line)
    assert bucket_line.startswith(
        "[fail] bucket: no-such-doctor-bucket (BUCKET_NAME) does not exist"
    )
    assert (
        "fix: bucket mb s3://no-such-doctor-bucket, or set BUCKET_AUTO_CREATE=true" in bucket_line
    )
    doc = json.loads(cli("doctor", "--json", extra_env=missing).stdout)
    statuses = {c["name"]: c["status"] for c in doc["checks"]}
    assert doc["ok"] is False and statuses["bucket"] == "fail"
    if cli.kind == "s3":
        assert _names(result.stdout) == list(S3_CHECKS)
        assert [c["name"] for c in doc["checks"]] == list(S3_CHECKS)
        assert {n: s for n, s in statuses.items() if n != "bucket"} == dict.fromkeys(
            set(S3_CHECKS) - {"bucket"}, "ok"
        )
    else:
        assert len(doc["checks"]) == 12 and statuses["local root"] == "ok"
    auto = cli.ok("doctor", extra_env={"BUCKET_NAME": "no-such-doctor-bucket"}).stdout
    warned = next(line for line in auto.splitlines() if "] bucket:" in line)
    assert warned.startswith("[warn] bucket: no-such-doctor-bucket (BUCKET_NAME) does not exist")
    assert (
        "BUCKET_AUTO_CREATE=true" in warned
        and "fix: bucket mb s3://no-such-doctor-bucket" in warned
    )


class _NotS3(http.server.BaseHTTPRequestHandler):
    """A web server that is not S3: every request gets a small HTML page."""

    def _page(self) -> None:
        body = b"<html><body>hello</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _page

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    """A plain HTTP server (not S3) on a free 127.0.0.1 port, its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_doctor_finishes_on_a_web_server_that_is_not_s3(s3_cli: Cli, web_server: str) -> None:
    """With S3_ENDPOINT_URL naming a web server that is not S3 (a tiny http.server on a
    free port), doctor prints a line for every check: the endpoint line fails (it answers,
    but not as S3) with a fix naming S3_ENDPOINT_URL, the clock is still checked, the
    checks that need S3 are skipped naming why; exit 1; ``--json`` holds every check.
    (Before: two checks, then one error line; the JSON held the error alone.)"""
    env = {"S3_ENDPOINT_URL": web_server}
    result = s3_cli("doctor", extra_env=env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert _names(result.stdout) == list(S3_CHECKS)
    _failures_have_fixes(result.stdout)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[ ok ] settings: process environment: S3_ENDPOINT_URL")
    assert lines[1].startswith(f"[fail] endpoint reachable: {web_server} answered HTTP 200")
    assert "not as an S3 server" in lines[1] and "fix: check S3_ENDPOINT_URL" in lines[1]
    assert lines[2].startswith("[ ok ] clock skew:")
    assert all(
        line.startswith("[skip]") and "not answer as an S3 server" in line for line in lines[3:]
    )
    assert result.stderr.strip() == "bucket: error: doctor: 1 check(s) failed"
    doc = json.loads(s3_cli("doctor", "--json", extra_env=env).stdout)
    assert [c["name"] for c in doc["checks"]] == list(S3_CHECKS)
    assert [c["status"] for c in doc["checks"]] == ["ok", "fail", "ok"] + ["skip"] * 7


class _NotS3MinusZero(_NotS3):
    """The same web server, its ``Date`` header in RFC 5322's ``-0000`` form (UTC, with
    no zone said), which ``parsedate_to_datetime`` reads as a naive date."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.formatdate(timestamp, localtime=False, usegmt=False)


def test_doctor_finishes_when_the_date_header_says_minus_zero(s3_cli: Cli) -> None:
    """A ``Date: ... -0000`` header is read as UTC: the clock check is made (ok) and
    doctor goes on through every check (it stopped with a TypeError there)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotS3MinusZero)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {"S3_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}"}
        result = s3_cli("doctor", extra_env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert _names(result.stdout) == list(S3_CHECKS)
    assert result.stdout.splitlines()[2].startswith("[ ok ] clock skew:")
    assert result.stderr.strip() == "bucket: error: doctor: 1 check(s) failed"
