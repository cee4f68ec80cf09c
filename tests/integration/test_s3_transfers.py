"""Issue 3 item 1: multipart transfers, per-call settings, unknown-length streams,
ranged parallel downloads, progress, and abort on failure (server lists 0 uploads)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket import Bucket, InvalidArgument, StorageError
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.bucket.s3.transfer import TransferSettings
from tests.conftest import ServerCase
from tests.faults.proxy import FaultProxy
from tests.integration._helpers import RequestLog
from tests.streams import UnsizedStream

MiB = 1024 * 1024


class _Wire:
    """A store of the case (the engine in force) through a pass-through ``FaultProxy``:
    requests counted on the wire, whichever engine sends them."""

    def __init__(self, case: ServerCase) -> None:
        self.proxy = FaultProxy(case.server.endpoint).start()
        self.store = S3Store(case.config(endpoint_url=self.proxy.endpoint))

    def count(self, method: str | None = None, contains: str = "") -> int:
        """How many requests matched ``method`` and had ``contains`` in their target."""
        return sum(1 for r in self.proxy.seen(method) if contains in r.target)

    def close(self) -> None:
        self.store.close()
        self.proxy.stop()


@pytest.fixture
def wire(s3case: ServerCase) -> Iterator[_Wire]:
    """The case's server through a counting proxy (either engine)."""
    made = _Wire(s3case)
    yield made
    made.close()


def _uploads(case: ServerCase) -> list[dict[str, object]]:
    return list(case.store.client.list_multipart_uploads(Bucket=case.bucket).get("Uploads", []))


def test_multipart_upload_with_per_call_part_size_and_progress(
    s3case: ServerCase, wire: _Wire, tmp_path: Path
) -> None:
    """A 12 MiB file with threshold 5 MiB and part size 5 MiB goes up as 3 parts; the
    bytes round-trip and progress ends at (size, size)."""
    data = os.urandom(12 * MiB)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    log = wire  # counted on the wire: obstore or s3transfer sends it
    seen: list[tuple[int, int | None]] = []
    wire.store.upload_file(
        s3case.bucket,
        "big.bin",
        src,
        progress=lambda done, total: seen.append((done, total)),
        transfer=TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB, max_concurrency=2),
    )
    assert log.count("PUT", "partNumber=") == 3
    assert log.count("POST", "uploads") == 1
    assert seen[-1] == (len(data), len(data))
    assert s3case.store.get_object(s3case.bucket, "big.bin") == data
    assert _uploads(s3case) == []


def test_small_file_below_per_call_threshold_is_one_put(s3case: ServerCase, tmp_path: Path) -> None:
    """Below the per-call threshold an upload is a single PUT (no multipart). 100 kB:
    above obstore_engine.SMALL_OBJECT, so botocore sends it on either engine."""
    src = tmp_path / "small.bin"
    src.write_bytes(b"x" * 100_000)
    log = RequestLog(s3case.store.client)
    s3case.store.upload_file(
        s3case.bucket,
        "small.bin",
        src,
        transfer=TransferSettings(multipart_threshold=5 * MiB),
    )
    assert log.count("PUT") == 1 and log.count("POST") == 0


def test_stream_of_unknown_length_goes_multipart(s3case: ServerCase, wire: _Wire) -> None:
    """A non-seekable stream larger than the threshold is uploaded as multipart and its
    size is counted as it goes."""
    data = os.urandom(11 * MiB)
    log = wire  # counted on the wire: obstore or s3transfer sends it
    totals: list[int | None] = []
    result = wire.store.put_object(
        s3case.bucket,
        "stream.bin",
        io.BufferedReader(UnsizedStream(data)),
        progress=lambda done, total: totals.append(total),
        transfer=TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB),
    )
    assert result.size == len(data)
    assert log.count("PUT", "partNumber=") == 3
    assert totals and totals[-1] is None  # unknown length: no total
    assert s3case.store.get_object(s3case.bucket, "stream.bin") == data


def test_small_unknown_length_stream_roundtrips(s3case: ServerCase) -> None:
    """A small non-seekable stream is stored whole."""
    s3case.store.put_object(s3case.bucket, "tiny.bin", io.BufferedReader(UnsizedStream(b"hello")))
    assert s3case.store.get_object(s3case.bucket, "tiny.bin") == b"hello"


def test_failed_multipart_upload_is_aborted(s3case: ServerCase, wire: _Wire) -> None:
    """A stream that breaks after the multipart upload started raises, and the server
    then lists 0 incomplete multipart uploads (s3transfer aborted it)."""
    data = os.urandom(16 * MiB)
    log = wire  # counted on the wire: obstore or s3transfer sends it
    with pytest.raises((StorageError, OSError)):
        wire.store.put_object(
            s3case.bucket,
            "broken.bin",
            io.BufferedReader(UnsizedStream(data, fail_after=11 * MiB)),
            transfer=TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB),
        )
    assert log.count("POST", "uploads") == 1  # a multipart upload was really started
    assert log.count("DELETE", "uploadId=") == 1  # ... and aborted
    assert _uploads(s3case) == []
    assert not s3case.store.object_exists(s3case.bucket, "broken.bin")


def test_facade_failed_multipart_returns_error_and_leaves_no_upload(s3case: ServerCase) -> None:
    """Through the facade the same failure returns ``error`` and leaves 0 uploads."""
    bucket = Bucket(config=s3case.config())
    data = os.urandom(12 * MiB)
    code = bucket.upload_stream(
        s3case.bucket, io.BufferedReader(UnsizedStream(data, fail_after=6 * MiB)), "f.bin",
        multipart_threshold=5 * MiB, part_size=5 * MiB,
    )
    assert code == bucket.error and bucket.last_error is not None
    assert _uploads(s3case) == []


def test_parallel_ranged_download_with_progress(s3case: ServerCase, tmp_path: Path) -> None:
    """Above the threshold a download uses ranged GETs (part size per call) and the
    file is byte-identical; progress reaches the total."""
    data = os.urandom(12 * MiB)
    s3case.store.put_object(
        s3case.bucket,
        "dl.bin",
        data,
        transfer=TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB),
    )
    seen: list[tuple[int, int | None]] = []
    target = tmp_path / "out.bin"
    # counted on the wire: either engine may carry the download (test_engines_large.py)
    proxy = FaultProxy(s3case.server.endpoint).start()
    store = S3Store(s3case.config(endpoint_url=proxy.endpoint))
    try:
        size = store.download_file(
            s3case.bucket, "dl.bin", target, multipart_threshold=5 * MiB, part_size=5 * MiB,
            max_concurrency=3, progress=lambda d, t: seen.append((d, t)),
        )
    finally:
        store.close()
        proxy.stop()
    assert size == len(data) and target.read_bytes() == data
    assert [r.method for r in proxy.seen()] == ["GET"] * 3  # 0-5 MiB, then two ranges
    assert seen[-1] == (len(data), len(data))


def test_per_call_settings_are_validated(s3case: ServerCase) -> None:
    """A part size under 5 MiB is refused before any request, naming ``part_size``."""
    with pytest.raises(InvalidArgument, match="part_size"):
        s3case.store.put_object(s3case.bucket, "k", b"x", transfer=TransferSettings(part_size=1024))
