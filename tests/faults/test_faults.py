"""Faults between the client and the real Ceph RGW, injected by ``FaultProxy``.

Budget arithmetic (what the assertions count through the proxy):

- the core (``S3Store``) makes ``max_retries + 1`` attempts per request (botocore's
  standard retry mode), then raises ``ServiceUnavailable`` (5xx) or ``ConnectionFailed``
  (reset, timeout, refused);
- the facade (``Bucket``) adds nothing for 5xx, and rebuilds the client once after a
  ``ConnectionFailed`` and replays the call: ``2 x (max_retries + 1)`` attempts at most.

After every scenario the objects really on the server (read directly, not through the
proxy) are compared by SHA-256 with what the test wrote successfully.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from backend.src.libs.bucket import (
    Bucket,
    ConnectionFailed,
    ServiceUnavailable,
    StorageError,
)
from backend.src.libs.bucket.s3.store import S3Store
from tests.faults.conftest import ProxiedConfig, open_uploads, server_digests, sha256
from tests.faults.proxy import FaultProxy, matcher

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
RETRIES = 2
ATTEMPTS = RETRIES + 1
BUDGET_SECONDS = 30  # generous bound on a call whose retry budget is spent


def _payload(size: int, seed: int = 1) -> bytes:
    block = bytes((i * 31 + seed) % 251 for i in range(4096))
    return (block * (size // len(block) + 1))[:size]


# ---------------------------------------------------------------- 503 / 500 answers
@pytest.mark.parametrize(("status", "code"), [(503, "SlowDown"), (500, "InternalError")])
def test_server_errors_retried_within_budget(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    status: int, code: str,
) -> None:
    """``max_retries`` 5xx answers in a row are retried by botocore and the upload succeeds,
    in exactly max_retries + 1 attempts; the bytes on the server are the ones sent."""
    bucket = Bucket(config=proxied_config(max_retries=RETRIES))
    data = _payload(300_000)
    proxy.error(status, code, count=RETRIES, match=matcher("PUT", f"/{fault_bucket}/k"))
    assert bucket.upload_stream(fault_bucket, data, "k") == bucket.success
    assert bucket.last_error is None
    actions = [r.action for r in proxy.seen("PUT", f"/{fault_bucket}/k")]
    assert actions == ["error"] * RETRIES + ["forward"]
    proxy.error(status, code, count=RETRIES, match=matcher("GET", f"/{fault_bucket}/k"))
    assert bucket.download_stream(fault_bucket, "k") == data
    # on the obstore engine the first 64 KiB come in the retried GET, the rest in one more
    # (obstore_engine.SMALL_OBJECT); on boto3 the whole body comes in the retried GET
    extra = 1 if bucket.store.engine == "obstore" else 0  # type: ignore[attr-defined]
    assert len(proxy.seen("GET", f"/{fault_bucket}/k")) == ATTEMPTS + extra
    assert server_digests(direct, fault_bucket) == {"k": sha256(data)}


@pytest.mark.parametrize(("status", "code", "words"), [
    (503, "SlowDown", "reduce your request rate"),
    (500, "InternalError", "internal error"),
])
def test_server_errors_budget_spent(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    status: int, code: str, words: str,
) -> None:
    """5xx on every attempt: the facade returns error after exactly max_retries + 1 attempts,
    last_error is a ServiceUnavailable carrying the S3 code and message, the old object is
    untouched, and the same Bucket works once the fault is gone."""
    old = b"old bytes"
    direct.put_object(fault_bucket, "k", old)
    bucket = Bucket(config=proxied_config(max_retries=RETRIES))
    proxy.error(status, code, count=1000, match=matcher(path=f"/{fault_bucket}/k"))
    started = time.monotonic()
    assert bucket.upload_stream(fault_bucket, b"new bytes", "k") == bucket.error
    assert time.monotonic() - started < BUDGET_SECONDS
    error = bucket.last_error
    assert isinstance(error, ServiceUnavailable)
    assert (error.code, error.status, error.bucket, error.key) == (code, status, fault_bucket, "k")
    assert words in error.message.lower()
    assert error.request_id is not None and error.request_id.startswith("fault-")
    assert len(proxy.seen("PUT", f"/{fault_bucket}/k")) == ATTEMPTS
    assert bucket.download_stream(fault_bucket, "k") == bucket.error
    assert isinstance(bucket.last_error, ServiceUnavailable)
    assert server_digests(direct, fault_bucket) == {"k": sha256(old)}
    proxy.clear()
    assert bucket.download_stream(fault_bucket, "k") == old
    assert bucket.upload_stream(fault_bucket, b"new bytes", "k") == bucket.success
    assert server_digests(direct, fault_bucket) == {"k": sha256(b"new bytes")}


def test_core_raises_service_unavailable(
    proxy: FaultProxy, proxied_config: ProxiedConfig, fault_bucket: str
) -> None:
    """The core raises ServiceUnavailable (code SlowDown, status 503) for HEAD, GET, LIST and
    DELETE once the budget is spent, each after max_retries + 1 attempts."""
    store = S3Store(proxied_config(max_retries=RETRIES))
    proxy.error(503, "SlowDown", count=1000)
    calls = {
        "HEAD": lambda: store.head_object(fault_bucket, "k"),
        "GET": lambda: store.get_object(fault_bucket, "k"),
        "LIST": lambda: list(store.list_objects(fault_bucket)),
        "DELETE": lambda: store.delete_object(fault_bucket, "k"),
    }
    for name, call in calls.items():
        before = len(proxy.requests)
        with pytest.raises(ServiceUnavailable) as caught:
            call()
        assert caught.value.status == 503, name
        assert len(proxy.requests) - before == ATTEMPTS, name
    store.close()


# ---------------------------------------------------------- connection resets
def test_reset_mid_upload_retried(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """Connections reset after 64 KiB of a 1 MiB PUT, max_retries times: botocore replays the
    body and the upload succeeds in max_retries + 1 attempts with the right bytes."""
    store = S3Store(proxied_config(max_retries=RETRIES))
    data = _payload(MiB, seed=3)
    proxy.reset_upload(64 * 1024, count=RETRIES, match=matcher("PUT", f"/{fault_bucket}/up"))
    store.put_object(fault_bucket, "up", data)
    assert [r.action for r in proxy.seen("PUT", f"/{fault_bucket}/up")] == [
        "reset_upload"] * RETRIES + ["forward"]
    assert server_digests(direct, fault_bucket) == {"up": sha256(data)}


def test_reset_mid_upload_budget_spent(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """Every PUT reset mid-body: the core raises ConnectionFailed after max_retries + 1
    attempts; the facade reconnects once (2 x budget) and returns error; the old object keeps
    its bytes (no truncated object); the same Bucket uploads once the fault is gone."""
    old = _payload(1000, seed=9)
    direct.put_object(fault_bucket, "up", old)
    data = _payload(MiB, seed=4)
    proxy.reset_upload(64 * 1024, count=1000, match=matcher("PUT", f"/{fault_bucket}/up"))
    store = S3Store(proxied_config(max_retries=RETRIES))
    started = time.monotonic()
    with pytest.raises(ConnectionFailed) as caught:
        store.put_object(fault_bucket, "up", data)
    assert caught.value.code == "ConnectionDropped"
    assert "dropped" in caught.value.message
    assert len(proxy.seen("PUT", f"/{fault_bucket}/up")) == ATTEMPTS
    bucket = Bucket(config=proxied_config(max_retries=RETRIES))
    assert bucket.upload_stream(fault_bucket, data, "up") == bucket.error
    assert time.monotonic() - started < BUDGET_SECONDS
    assert isinstance(bucket.last_error, ConnectionFailed)
    assert len(proxy.seen("PUT", f"/{fault_bucket}/up")) == ATTEMPTS + 2 * ATTEMPTS
    assert server_digests(direct, fault_bucket) == {"up": sha256(old)}
    proxy.clear()
    assert bucket.upload_stream(fault_bucket, data, "up") == bucket.success
    assert server_digests(direct, fault_bucket) == {"up": sha256(data)}


def test_reset_mid_download_facade_retries(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """A response reset after 100 KB of a 1 MiB GET: the facade rebuilds its connection and
    returns the whole, right bytes (2 GETs); a reset on every GET returns error."""
    data = _payload(MiB, seed=5)
    direct.put_object(fault_bucket, "down", data)
    bucket = Bucket(config=proxied_config(max_retries=RETRIES))
    proxy.reset_download(100_000, count=1, match=matcher("GET", f"/{fault_bucket}/down"))
    got = bucket.download_stream(fault_bucket, "down")
    assert isinstance(got, bytes) and sha256(got) == sha256(data)
    assert [r.action for r in proxy.seen("GET")] == ["reset_download", "forward"]
    proxy.reset_download(100_000, count=1000, match=matcher("GET", f"/{fault_bucket}/down"))
    assert bucket.download_stream(fault_bucket, "down") == bucket.error
    assert isinstance(bucket.last_error, ConnectionFailed)
    assert "dropped" in bucket.last_error.message
    proxy.clear()
    assert bucket.download_stream(fault_bucket, "down") == data


def test_core_get_object_retries_reset_mid_body(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """One reset mid-body of a GET is a transient fault: the core should retry it within
    max_retries and return the right bytes."""
    data = _payload(MiB, seed=6)
    direct.put_object(fault_bucket, "down", data)
    store = S3Store(proxied_config(max_retries=RETRIES))
    proxy.reset_download(100_000, count=1, match=matcher("GET", f"/{fault_bucket}/down"))
    assert store.get_object(fault_bucket, "down") == data


def test_reset_mid_download_file_leaves_no_partial_file(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    tmp_path: Path,
) -> None:
    """download_file with every GET reset mid-body: error, the existing destination keeps
    its old bytes and no temporary file is left beside it; once the fault is gone the file
    is written whole."""
    data = _payload(2 * MiB, seed=7)
    direct.put_object(fault_bucket, "file", data)
    target = tmp_path / "out.bin"
    target.write_bytes(b"previous contents")
    bucket = Bucket(config=proxied_config(max_retries=RETRIES))
    proxy.reset_download(300_000, count=1000, match=matcher("GET", f"/{fault_bucket}/file"))
    assert bucket.download_file(fault_bucket, "file", target) == bucket.error
    assert isinstance(bucket.last_error, ConnectionFailed)
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]
    assert target.read_bytes() == b"previous contents"
    proxy.clear()
    assert bucket.download_file(fault_bucket, "file", target) == bucket.success
    assert sha256(target.read_bytes()) == sha256(data)
    assert sorted(os.listdir(tmp_path)) == ["out.bin"]


# ------------------------------------------------------------------ multipart
def _multipart_config(proxied_config: ProxiedConfig, **extra: object) -> object:
    return proxied_config(
        max_retries=RETRIES, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
        max_workers=2, **extra,
    )


def test_multipart_part_reset_retried(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    tmp_path: Path,
) -> None:
    """A multipart upload (3 parts) whose part 2 is reset mid-body twice: the part is retried,
    the object is byte-identical and no incomplete upload remains."""
    data = _payload(11 * MiB, seed=8)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    bucket = Bucket(config=_multipart_config(proxied_config))  # type: ignore[arg-type]
    proxy.reset_upload(MiB, count=RETRIES, match=matcher("PUT", query="partNumber=2"))
    assert bucket.upload_file(fault_bucket, source, "big") == bucket.success
    part2 = proxy.seen("PUT", query="partNumber=2")
    assert [r.action for r in part2] == ["reset_upload"] * RETRIES + ["forward"]
    assert len(proxy.seen("POST", query="uploads")) == 1
    assert server_digests(direct, fault_bucket) == {"big": sha256(data)}
    assert open_uploads(direct, fault_bucket) == []


@pytest.mark.parametrize("where", ["part", "complete"])
def test_multipart_failure_aborts_upload(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    tmp_path: Path, where: str,
) -> None:
    """A part (or the completion) answered 500 InternalError past the budget: the upload
    returns error (ServiceUnavailable), the multipart upload is aborted (the server lists
    no incomplete upload), no object appears, and the same Bucket uploads afterwards."""
    data = _payload(11 * MiB, seed=10)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    bucket = Bucket(config=_multipart_config(proxied_config))  # type: ignore[arg-type]
    match = matcher("PUT", query="partNumber=2") if where == "part" else matcher("POST", query="uploadId=")
    proxy.error(500, "InternalError", count=1000, match=match)
    started = time.monotonic()
    assert bucket.upload_file(fault_bucket, source, "big") == bucket.error
    assert time.monotonic() - started < BUDGET_SECONDS
    assert isinstance(bucket.last_error, ServiceUnavailable)
    assert bucket.last_error.code == "InternalError"
    faulted = [r for r in proxy.requests if r.action == "error"]
    assert len(faulted) == ATTEMPTS
    assert len(proxy.seen("DELETE", query="uploadId=")) == 1  # the abort
    assert open_uploads(direct, fault_bucket) == []
    assert server_digests(direct, fault_bucket) == {}
    proxy.clear()
    assert bucket.upload_file(fault_bucket, source, "big") == bucket.success
    assert server_digests(direct, fault_bucket) == {"big": sha256(data)}
    assert open_uploads(direct, fault_bucket) == []


def test_multipart_reset_budget_spent_aborts(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    tmp_path: Path,
) -> None:
    """Part 2 reset on every attempt: the core raises ConnectionFailed, the upload is
    aborted and nothing (object or incomplete upload) is left on the server."""
    data = _payload(11 * MiB, seed=11)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    store = S3Store(_multipart_config(proxied_config))  # type: ignore[arg-type]
    proxy.reset_upload(MiB, count=1000, match=matcher("PUT", query="partNumber=2"))
    with pytest.raises(ConnectionFailed):
        store.upload_file(fault_bucket, "big", str(source))
    assert len(proxy.seen("PUT", query="partNumber=2")) == ATTEMPTS
    assert open_uploads(direct, fault_bucket) == []
    assert server_digests(direct, fault_bucket) == {}
    store.close()


def test_ranged_download_reset_retried(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str,
    tmp_path: Path,
) -> None:
    """A parallel ranged download (11 MiB, 5 MiB parts) whose ranges are reset mid-body once
    each: s3transfer retries the ranges and the file is byte-identical."""
    data = _payload(11 * MiB, seed=12)
    direct.put_object(fault_bucket, "big", data)
    bucket = Bucket(config=_multipart_config(proxied_config))  # type: ignore[arg-type]
    proxy.reset_download(MiB, count=2, match=matcher("GET", f"/{fault_bucket}/big"))
    target = tmp_path / "big.out"
    assert bucket.download_file(fault_bucket, "big", target) == bucket.success
    assert sha256(target.read_bytes()) == sha256(data)
    assert [r.action for r in proxy.seen("GET")].count("reset_download") == 2
    assert sorted(os.listdir(tmp_path)) == ["big.out"]


# ------------------------------------------------------------ stalls and refusals
def test_stall_past_read_timeout(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """A server that answers nothing: one stall is retried and the read succeeds; stalls on
    every attempt raise ConnectionFailed (code Timeout) after max_retries + 1 attempts from
    the core, within a bounded time."""
    direct.put_object(fault_bucket, "k", b"value")
    store = S3Store(proxied_config(max_retries=1, read_timeout=1.0))
    proxy.stall(30, count=1, match=matcher("GET"))
    assert store.get_object(fault_bucket, "k") == b"value"
    assert [r.action for r in proxy.seen("GET")] == ["stall", "forward"]
    proxy.stall(30, count=1000, match=matcher("GET"))
    started = time.monotonic()
    with pytest.raises(ConnectionFailed) as caught:
        store.get_object(fault_bucket, "k")
    assert time.monotonic() - started < BUDGET_SECONDS
    assert caught.value.code == "Timeout"
    assert "timed out" in caught.value.message
    assert len(proxy.seen("GET")) == 2 + 2
    proxy.clear()
    assert store.get_object(fault_bucket, "k") == b"value"
    store.close()


def test_stall_facade_error_then_recovers(
    proxy: FaultProxy, proxied_config: ProxiedConfig, fault_bucket: str
) -> None:
    """The facade on a stalled server: error with a Timeout ConnectionFailed in a bounded time
    (one reconnect: 2 x budget attempts), and the same Bucket reads again afterwards."""
    bucket = Bucket(config=proxied_config(max_retries=1, read_timeout=1.0))
    assert bucket.upload_stream(fault_bucket, b"value", "k") == bucket.success
    proxy.stall(30, count=1000, match=matcher("HEAD"))
    started = time.monotonic()
    assert bucket.get_file_info(fault_bucket, "k") == bucket.error
    assert time.monotonic() - started < BUDGET_SECONDS
    assert isinstance(bucket.last_error, ConnectionFailed)
    assert bucket.last_error.code == "Timeout"
    assert len(proxy.seen("HEAD")) == 2 * 2
    proxy.clear()
    info = bucket.get_file_info(fault_bucket, "k")
    assert not isinstance(info, int) and info.size == 5


def test_refused_connections_then_back(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """Nothing listens any more (connection refused): every call returns error with a
    ConnectionFailed naming the endpoint, the core raises ConnectionFailed, within a bounded
    time; when the port answers again the same Bucket works and the data is intact."""
    bucket = Bucket(config=proxied_config(max_retries=RETRIES))
    data = _payload(200_000, seed=13)
    assert bucket.upload_stream(fault_bucket, data, "k") == bucket.success
    proxy.refuse()
    started = time.monotonic()
    results = [
        bucket.download_stream(fault_bucket, "k"),
        bucket.upload_stream(fault_bucket, b"during", "k"),
        bucket.get_bucket_files(fault_bucket),
        bucket.delete_file(fault_bucket, "k"),
    ]
    assert results == [bucket.error] * 4
    assert isinstance(bucket.last_error, ConnectionFailed)
    assert "reach" in bucket.last_error.message and proxy.endpoint in bucket.last_error.message
    assert bucket.is_connected() is False
    with pytest.raises(ConnectionFailed):
        S3Store(proxied_config(max_retries=RETRIES)).head_object(fault_bucket, "k")
    assert time.monotonic() - started < BUDGET_SECONDS
    proxy.accept()
    assert bucket.download_stream(fault_bucket, "k") == data
    assert bucket.is_connected() is True
    assert server_digests(direct, fault_bucket) == {"k": sha256(data)}


def test_storage_errors_are_never_raised_by_the_facade(
    proxy: FaultProxy, proxied_config: ProxiedConfig, fault_bucket: str
) -> None:
    """Under a mix of faults on every request, every facade method returns error (or False)
    and never raises; last_error is always a StorageError."""
    bucket = Bucket(config=proxied_config(max_retries=0))
    proxy.error(503, "SlowDown", count=1000)
    calls = [
        lambda: bucket.get_bucket_names(),
        lambda: bucket.create_bucket("fault-never-made"),
        lambda: bucket.bucket_exists(fault_bucket),
        lambda: bucket.upload_stream(fault_bucket, b"x", "k"),
        lambda: bucket.download_stream(fault_bucket, "k"),
        lambda: bucket.get_file_range(fault_bucket, "k", start=0, end=1),
        lambda: bucket.file_exists(fault_bucket, "k"),
        lambda: bucket.get_bucket_file(fault_bucket, "k"),
        lambda: bucket.copy_file(fault_bucket, "k", "k2"),
        lambda: bucket.move_file(fault_bucket, "k", "k3"),
        lambda: bucket.delete_files(fault_bucket, ["k", "k2"]),
        lambda: bucket.list_files(fault_bucket),
        lambda: bucket.delete_bucket(fault_bucket),
    ]
    for call in calls:
        assert call() == bucket.error
        assert isinstance(bucket.last_error, StorageError)
    assert bucket.health_check() is False
