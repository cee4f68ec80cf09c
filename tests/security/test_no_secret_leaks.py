"""No secret ever shows: every facade operation and every CLI command, with DEBUG logging on
everywhere (root logger, botocore, urllib3, ``--debug``), must print, log, repr and raise
without the secret key, the session token or the SSE-C key.

Two runs: with the server's real (working) keys plus an SSE-C key, so every success path
logs its requests; and with distinctive wrong secrets plus a session token, so every
failure path logs its errors. Presigned URLs are the one place a session token must
appear (it is part of the signature); they are returned to the caller, never logged.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import Bucket
from backend.src.libs.core import RuntimeManager
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

FAKE_SECRET = "SeCrEt-KeY-d15t1nct1ve-0042"
FAKE_TOKEN = "SeSsIoN-ToKeN-d15t1nct1ve-9917"
SSE_C_KEY = "5ec7e7c0ffee" * 5 + "abcd"  # 64 hex digits
BUCKET_BIN = Path(sys.executable).parent / "bucket"


def _forms(secret: str) -> list[str]:
    """The secret and the encodings it could leak in."""
    forms = [secret]
    if len(secret) == 64 and all(c in "0123456789abcdef" for c in secret):
        raw = bytes.fromhex(secret)
        forms += [base64.b64encode(raw).decode(), raw.hex().upper()]
    return forms


class _OneLine(logging.Formatter):
    """One line a record: newlines in messages become ``\\n``."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


class _Captured:
    """Every log record of every logger at DEBUG while active, formatted with its arguments."""

    def __enter__(self) -> io.StringIO:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setLevel(logging.DEBUG)
        self.handler.setFormatter(_OneLine("%(name)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        self.old_level = root.level
        root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)
        for name in ("botocore", "boto3", "urllib3", "s3transfer", "bucket"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        return self.stream

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.old_level)


def _every_operation(bucket: Bucket, name: str, tmp: Path) -> list[Any]:
    """Call every facade method once (in an order where most succeed with good keys)."""
    source = tmp / "up.txt"
    source.write_bytes(b"file bytes")
    out: list[Any] = []
    steps: list[Callable[[], Any]] = [
        bucket.connect, bucket.health_check, bucket.is_connected, bucket.get_bucket_names,
        lambda: bucket.create_bucket(name), lambda: bucket.ensure_bucket(name),
        lambda: bucket.bucket_exists(name),
        lambda: bucket.upload_stream(name, b"stream bytes", "a.txt", metadata={"m": "v"}),
        lambda: bucket.upload_file(name, source, "b.txt"),
        lambda: bucket.download_stream(name, "a.txt"),
        lambda: bucket.download_file(name, "b.txt", tmp / "down.txt"),
        lambda: bucket.get_file_range(name, "a.txt", start=0, end=3),
        lambda: bucket.file_exists(name, "a.txt"), lambda: bucket.get_bucket_file(name, "a.txt"),
        lambda: bucket.get_file_info(name, "a.txt"),
        lambda: list(r) if not isinstance(r := bucket.list_files(name), int) else r,
        lambda: bucket.get_bucket_files(name),
        lambda: bucket.set_file_metadata(name, "a.txt", {"n": "w"}),
        lambda: bucket.copy_file(name, "a.txt", "c.txt"), lambda: bucket.move_file(name, "c.txt", "d.txt"),
        lambda: bucket.set_file_tags(name, "a.txt", {"t": "1"}), lambda: bucket.get_file_tags(name, "a.txt"),
        lambda: bucket.set_versioning(name, enabled=True), lambda: bucket.get_versioning(name),
        lambda: bucket.list_file_versions(name), lambda: bucket.get_bucket_info(name),
        lambda: bucket.get_bucket_stats(name),
        lambda: bucket.download_stream(name, "no-such-key"),
        lambda: bucket.delete_file(name, "a.txt"), lambda: bucket.delete_files(name, ["b.txt", "d.txt"]),
        lambda: bucket.delete_bucket(name, force=True), bucket.disconnect,
    ]
    for step in steps:
        out.append(step())
        out.append(repr(bucket.last_error))
        out.append(str(bucket.last_error))
    out += [repr(bucket), str(bucket), repr(bucket.config), str(bucket.config), bucket.config.describe()]
    return out


def _check(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for form in _forms(secret):
            assert text.count(form) == 0, f"a secret ({secret[:4]}...) appears in the output"


@pytest.fixture(scope="module")
def facade_output(ceph_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Everything every facade operation logged, returned and raised, in both runs: good keys
    (with an SSE-C key) through the RuntimeManager, then wrong keys with a session token."""
    tmp = tmp_path_factory.mktemp("secrets")
    with _Captured() as captured:
        good = config_for(ceph_server, sse_customer_key=SSE_C_KEY)
        runtime = RuntimeManager(isolated=True)
        runtime.configure(bucket=good)
        bucket = runtime.bucket
        bucket.debug = True
        results = _every_operation(bucket, unique_bucket_name("sec"), tmp)
        assert results[0] == bucket.success  # the good run really talked to the server
        wrong = config_for(ceph_server, secret_key=FAKE_SECRET, session_token=FAKE_TOKEN,
                           max_retries=0)
        bad = Bucket(debug=True, config=wrong)
        results += _every_operation(bad, unique_bucket_name("sec"), tmp)
        url = bad.presign_url("some-bucket", "k")
        assert isinstance(url, str) and FAKE_TOKEN in url and FAKE_SECRET not in url
        results += [repr(runtime), runtime.ping().as_dict()]
        runtime.close()
    text = captured.getvalue() + "\n".join(map(repr, results))
    assert "SignatureDoesNotMatch" in text  # the failures were logged
    assert "authorization" in text.lower()  # the requests were logged
    return text


def test_facade_never_shows_the_secret_key(ceph_server: S3Server, facade_output: str,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    """Every facade operation with DEBUG logs everywhere (root, botocore, urllib3), good and
    wrong keys: the secret key / password appears 0 times in logs, output, return values,
    reprs and exception texts."""
    out, err = capfd.readouterr()
    _check(facade_output + out + err, [ceph_server.secret_key, FAKE_SECRET])


def test_facade_never_shows_the_session_token_or_sse_c_key_in_our_logs(facade_output: str) -> None:
    """Outside botocore's own DEBUG logs (request dumps, canonical requests), the session
    token and the SSE-C key (hex or base64) appear 0 times: in our logs, results, reprs."""
    ours = "\n".join(line for line in facade_output.splitlines()
                     if not line.startswith("botocore."))
    _check(ours, [FAKE_TOKEN, SSE_C_KEY])


def test_botocore_debug_never_shows_the_session_token_or_sse_c_key(facade_output: str) -> None:
    """With botocore at DEBUG, the session token and the SSE-C key appear 0 times."""
    _check(facade_output, [FAKE_TOKEN, SSE_C_KEY])


CLI_COMMANDS: list[list[str]] = [
    ["health"], ["doctor"], ["ls"], ["mb", "s3://{b}"], ["cp", "{f}", "s3://{b}/k.txt"],
    ["ls", "s3://{b}"], ["stat", "s3://{b}/k.txt"], ["cat", "s3://{b}/k.txt"],
    ["cp", "s3://{b}/k.txt", "{d}"], ["presign", "s3://{b}/k.txt"], ["du", "s3://{b}"],
    ["sync", "{dir}", "s3://{b}/synced"], ["rm", "s3://{b}/k.txt"], ["stat", "s3://{b}/missing"],
    ["rm", "-r", "--force", "s3://{b}/synced"], ["rb", "s3://{b}"],
]


PLAIN_TOO = ("health", "doctor", "ls", "cp", "presign")


@pytest.mark.skipif(not BUCKET_BIN.exists(), reason="the bucket command is not installed")
@pytest.mark.parametrize("wrong", [False, True], ids=["good-keys", "wrong-keys"])
def test_cli_never_shows_a_secret(ceph_server: S3Server, tmp_path: Path, wrong: bool) -> None:
    """Every CLI command with --debug (and, with wrong keys, without it): the password /
    secret key and the session token appear 0 times on stdout or stderr (botocore's own
    request dumps included: the library redacts them)."""
    name = unique_bucket_name("seccli")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.txt").write_bytes(b"x")
    (tmp_path / "f.txt").write_bytes(b"cli bytes")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "LANG": "C.UTF-8", "S3_ENDPOINT_URL": ceph_server.endpoint,
        "BUCKET_USER": ceph_server.access_key,
        "BUCKET_PASSWORD": FAKE_SECRET if wrong else ceph_server.secret_key,
        "BUCKET_MAX_RETRIES": "0",
    }
    if wrong:
        env["AWS_SESSION_TOKEN"] = FAKE_TOKEN
    outputs: list[str] = []
    plain: list[str] = []
    statuses: list[int] = []
    for command in CLI_COMMANDS:
        args = [a.format(b=name, f=tmp_path / "f.txt", d=tmp_path / "d.txt", dir=tmp_path / "dir")
                for a in command]
        modes: tuple[list[str], ...] = (["--debug"],)
        if wrong and command[0] in PLAIN_TOO:
            modes = (["--debug"], [])
        for debug in modes:
            done = subprocess.run([str(BUCKET_BIN), *debug, *args], env=env, cwd=tmp_path,
                                  capture_output=True, timeout=120, check=False)
            statuses.append(done.returncode)
            text = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
            if wrong and command[0] == "presign":
                text = text.replace(FAKE_TOKEN, "")  # the URL carries the token by design
            outputs.append(text)
            if not debug:
                plain.append(text)
    if wrong:
        assert sum(1 for s in statuses if s != 0) >= len(CLI_COMMANDS)
        assert len(plain) == sum(1 for c in CLI_COMMANDS if c[0] in PLAIN_TOO)
    else:
        assert statuses[CLI_COMMANDS.index(["mb", "s3://{b}"])] == 0
        assert statuses[CLI_COMMANDS.index(["cat", "s3://{b}/k.txt"])] == 0
    _check("\n".join(outputs), [ceph_server.secret_key, FAKE_SECRET, FAKE_TOKEN])
    _check("\n".join(plain), [FAKE_TOKEN])
