"""Issue 22 fault 5: an SSE-C key never shows in DEBUG logs, in any form.

s3transfer logs each task's arguments (``'SSECustomerKey': b'\\x..'``, the raw key's
repr) about 25 times a multipart upload, and botocore logs the headers (the key in
base64, its MD5 in base64). With the root logger at DEBUG, a multipart SSE-C upload
above the multipart threshold and its download on the real Ceph server, and the same
through ``BUCKET_SSE_CUSTOMER_KEY=<hex> bucket --debug cp``, none of the key's forms
(bytes repr, hex, base64, base64 MD5, UTF-8 decoding) may appear in a log line.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket import Bucket
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
THRESHOLD = 5 * MiB  # the smallest part S3 accepts; the file has three parts
BUCKET_BIN = Path(sys.executable).parent / "bucket"


def _key_with_quotes() -> bytes:
    """32 random bytes whose repr needs ``"`` quoting, a ``\\\\``, ``\\t`` and ``\\n``."""
    rest = bytes(b for b in os.urandom(64) if b != ord('"'))[:27]
    return b"'\\\t\n" + rest + b"A"


def forms_of(key: bytes) -> dict[str, str]:
    """Every form the key can take in a log line, by name."""
    found = {
        "repr": repr(key)[2:-1],
        "hex": key.hex(),
        "HEX": key.hex().upper(),
        "base64": base64.b64encode(key).decode(),
        "md5-base64": base64.b64encode(hashlib.md5(key, usedforsecurity=False).digest()).decode(),
    }
    with contextlib.suppress(UnicodeDecodeError):
        found["utf8"] = key.decode()
    return found


def leaks(key: bytes, text: str) -> dict[str, int]:
    """How many times each form of ``key`` appears in ``text`` (only forms that do)."""
    return {name: text.count(form) for name, form in forms_of(key).items() if form in text}


class _Records(logging.Handler):
    """Keeps, for every record, its logger's name and its texts as handlers see them:
    formatted with ``%(message)s`` (exception included), and its ``msg`` and ``args``."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        texts = [self.format(record), str(record.msg), repr(record.args), str(record.args)]
        self.seen.append((record.name, "\n".join(texts)))


@pytest.fixture
def records() -> Iterator[_Records]:
    """Every log record of the process while the test runs, the root logger at DEBUG."""
    handler = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of three multipart parts (above the 5 MiB threshold the tests set)."""
    path = tmp_path_factory.mktemp("ssec") / "big.bin"
    path.write_bytes(os.urandom(2 * THRESHOLD + MiB))
    return path


@pytest.mark.parametrize("kind", ["random", "quotes", "settings-hex"])
def test_multipart_sse_c_upload_and_download_log_no_form_of_the_key(
    ceph_server: S3Server, records: _Records, big_file: Path, tmp_path: Path, kind: str
) -> None:
    """With the root logger at DEBUG, a multipart SSE-C ``upload_file`` (above the
    multipart threshold: s3transfer's tasks carry the key) and a multipart
    ``download_file`` with the key, given per call (random bytes, or bytes whose repr has
    quotes and backslashes) or as ``BUCKET_SSE_CUSTOMER_KEY`` (hex): no record, formatted
    or as its message and arguments, holds the key's repr, hex, base64, base64 MD5 or
    UTF-8 form; s3transfer's and botocore's records were captured (masked)."""
    key = _key_with_quotes() if kind == "quotes" else os.urandom(32)
    settings = kind == "settings-hex"
    per_call = None if settings else key  # None: the store's BUCKET_SSE_CUSTOMER_KEY
    config = config_for(ceph_server, sse_customer_key=key.hex() if settings else None)
    bucket = Bucket(config=config)
    name = unique_bucket_name("ssec")
    try:
        assert bucket.create_bucket(name) == bucket.success, bucket.last_error
        sent = bucket.upload_file(
            name, big_file, "k.bin", sse_customer_key=per_call,
            multipart_threshold=THRESHOLD, part_size=THRESHOLD,
        )
        assert sent == bucket.success, bucket.last_error
        out = tmp_path / "out.bin"
        got = bucket.download_file(
            name, "k.bin", out, sse_customer_key=per_call, multipart_threshold=THRESHOLD
        )
        assert got == bucket.success, bucket.last_error
        assert out.read_bytes() == big_file.read_bytes()
    finally:
        bucket.delete_bucket(name, force=True)
        bucket.disconnect()
    found = {(logger, text) for logger, text in records.seen if leaks(key, text)}
    assert not found, sorted({(logger, str(leaks(key, text))) for logger, text in found})
    names = {logger for logger, _ in records.seen}
    assert {"s3transfer.tasks", "botocore.endpoint"} <= names, names
    tasks = [text for logger, text in records.seen if logger == "s3transfer.tasks"]
    assert sum("'SSECustomerKey': ***" in text for text in tasks) >= 6  # 3 parts, twice each
    headers = "\n".join(text for logger, text in records.seen if logger == "botocore.endpoint")
    assert "x-amz-server-side-encryption-customer-key-md5" in headers


@pytest.mark.skipif(not BUCKET_BIN.exists(), reason="the bucket command is not installed")
def test_cli_debug_cp_with_an_sse_c_key_prints_no_form_of_it(
    ceph_server: S3Server, big_file: Path, tmp_path: Path
) -> None:
    """``BUCKET_SSE_CUSTOMER_KEY=<hex> bucket --debug cp big.bin s3://b/k`` (a multipart
    upload) and the copy back: stderr carries s3transfer's and botocore's DEBUG lines, and
    none of the key's forms (repr, hex, base64, base64 MD5) in any of them."""
    key = os.urandom(32)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "S3_ENDPOINT_URL": ceph_server.endpoint,
        "AWS_ACCESS_KEY_ID": ceph_server.access_key,
        "AWS_SECRET_ACCESS_KEY": ceph_server.secret_key,
        "AWS_REGION": ceph_server.region,
        "BUCKET_MAX_RETRIES": "0",
        "BUCKET_MULTIPART_THRESHOLD": str(THRESHOLD),
        "BUCKET_MULTIPART_CHUNKSIZE": str(THRESHOLD),
        "BUCKET_SSE_CUSTOMER_KEY": key.hex(),
    }
    name = unique_bucket_name("ssecli")

    def bucket_cmd(*args: str) -> str:
        done = subprocess.run(
            [str(BUCKET_BIN), *args], env=env, cwd=tmp_path, capture_output=True,
            timeout=240, check=False,
        )
        text = (done.stdout + done.stderr).decode("utf-8", "replace")
        assert done.returncode == 0, (args, text[-2000:])
        return text

    bucket_cmd("mb", f"s3://{name}")
    try:
        up = bucket_cmd("--debug", "cp", str(big_file), f"s3://{name}/k.bin")
        down = bucket_cmd("--debug", "cp", f"s3://{name}/k.bin", str(tmp_path / "back.bin"))
    finally:
        bucket_cmd("rb", "--force", f"s3://{name}")
    assert (tmp_path / "back.bin").read_bytes() == big_file.read_bytes()
    assert leaks(key, up) == {} and leaks(key, down) == {}, (leaks(key, up), leaks(key, down))
    assert "s3transfer.tasks" in up and "botocore.endpoint" in up
    assert "'SSECustomerKey': ***" in up


INJECTED = """
import io, json, logging, os, sys
import boto3
from backend.src.libs.bucket.base.options import SseC, WriteOptions
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.bucket.s3.transfer import TransferSettings
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server
from tests.security.test_sse_c_debug_logs import leaks

server = S3Server(**json.loads(os.environ["SERVER"]))
stream = io.StringIO()
logging.basicConfig(level=logging.DEBUG, stream=stream, format="%(name)s %(message)s")
client = boto3.client(
    "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
    aws_secret_access_key=server.secret_key, region_name=server.region,
)
store = S3Store(config_for(server), client=client)
name = unique_bucket_name("ssecinj")
store.create_bucket(name)
key = os.urandom(32)
try:
    store.upload_file(
        name, "k.bin", sys.argv[1], options=WriteOptions(encryption=SseC(key)),
        transfer=TransferSettings(multipart_threshold=5 << 20, part_size=5 << 20),
    )
    assert store.get_object(name, "k.bin", sse_customer_key=key) == open(sys.argv[1], "rb").read()
finally:
    store.delete_bucket(name, force=True)
text = stream.getvalue()
print(json.dumps({"leaks": leaks(key, text), "masked": text.count("'SSECustomerKey': ***")}))
"""


def test_a_store_on_an_injected_client_logs_no_form_of_the_key(
    ceph_server: S3Server, big_file: Path
) -> None:
    """An ``S3Store`` on a caller's boto3 client (which builds no client of its own, so
    never installed the filter before) in a fresh interpreter, root logger at DEBUG: a
    multipart SSE-C upload and a read with the key log no form of the key, and
    s3transfer's task records show it masked."""
    server = {
        "name": ceph_server.name, "endpoint": ceph_server.endpoint,
        "access_key": ceph_server.access_key, "secret_key": ceph_server.secret_key,
        "region": ceph_server.region,
    }
    done = subprocess.run(
        [sys.executable, "-c", INJECTED, str(big_file)],
        env={**os.environ, "SERVER": json.dumps(server)},
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
        timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["leaks"] == {}, result
    assert result["masked"] >= 3, result
