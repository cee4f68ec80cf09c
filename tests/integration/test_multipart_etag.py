"""Multipart uploads return the ETag and version id of the object they created, as single
puts do (issue 11 part 3), on Ceph RGW and SeaweedFS."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import IO

import pytest

from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import ServerCase
from tests.streams import UnsizedStream

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
SIZE = 6 * MiB  # two parts: 5 MiB + 1 MiB


def _small_parts(case: ServerCase) -> S3Store:
    store = S3Store(case.config(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    return store


def _body(seed: int) -> bytes:
    return bytes([seed % 251]) * SIZE


def test_upload_file_multipart_returns_etag(s3case: ServerCase, tmp_path: Path) -> None:
    """upload_file above the threshold returns the multipart ETag ('-2') that head_object
    reports, not None."""
    store = _small_parts(s3case)
    path = tmp_path / "big.bin"
    path.write_bytes(_body(1))
    try:
        result = store.upload_file(s3case.bucket, "big.bin", path)
        head = store.head_object(s3case.bucket, "big.bin")
    finally:
        store.close()
    assert result.etag is not None
    assert result.etag == head.etag
    assert result.etag.endswith("-2")
    assert result.size == SIZE


def test_put_object_stream_multipart_returns_etag(s3case: ServerCase) -> None:
    """put_object of a stream above the threshold (known length and unknown length) and a
    write-once one return the ETag head_object reports."""
    store = _small_parts(s3case)
    try:
        known = store.put_object(s3case.bucket, "known.bin", io.BytesIO(_body(2)))
        unknown = store.put_object(s3case.bucket, "unknown.bin", _unsized(_body(3)))
        once = store.put_object(
            s3case.bucket,
            "once.bin",
            io.BytesIO(_body(4)),
            options=WriteOptions(mode="create"),
        )
        heads = {
            k: store.head_object(s3case.bucket, k).etag
            for k in ("known.bin", "unknown.bin", "once.bin")
        }
    finally:
        store.close()
    assert known.etag is not None and known.etag == heads["known.bin"]
    assert unknown.etag is not None and unknown.etag == heads["unknown.bin"]
    assert unknown.size == SIZE
    assert once.etag is not None and once.etag == heads["once.bin"]


def test_multipart_returns_version_id(s3case: ServerCase, tmp_path: Path) -> None:
    """On a versioned bucket a multipart upload returns its version id: the one that
    head_object reports, and the two uploads of one key get different ids."""
    store = _small_parts(s3case)
    s3case.store.set_versioning(s3case.bucket, True)
    path = tmp_path / "v.bin"
    try:
        path.write_bytes(_body(5))
        first = store.upload_file(s3case.bucket, "v.bin", path)
        path.write_bytes(_body(6))
        second = store.upload_file(s3case.bucket, "v.bin", path)
        head = store.head_object(s3case.bucket, "v.bin")
        old = store.head_object(s3case.bucket, "v.bin", version_id=first.version_id)
    finally:
        store.close()
    assert first.version_id and second.version_id and first.version_id != second.version_id
    assert (second.etag, second.version_id) == (head.etag, head.version_id)
    assert old.etag == first.etag


def test_concurrent_multipart_uploads_each_get_their_own_answer(s3case: ServerCase) -> None:
    """Four threads of one store upload (multipart) the same key of a versioned bucket at
    once: each gets its own version id and the ETag of its own bytes (no answer is mixed
    up between uploads of one client)."""
    store = _small_parts(s3case)
    s3case.store.set_versioning(s3case.bucket, True)
    results: dict[int, tuple[str | None, str | None]] = {}
    errors: list[BaseException] = []

    def upload(seed: int) -> None:
        try:
            r = store.put_object(s3case.bucket, "same.bin", io.BytesIO(_body(seed)))
            results[seed] = (r.etag, r.version_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(seed,)) for seed in (10, 11, 12, 13)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for seed, (etag, version) in results.items():
            assert etag is not None and version is not None
            head = store.head_object(s3case.bucket, "same.bin", version_id=version)
            assert head.etag == etag
            data = store.get_object(s3case.bucket, "same.bin", version_id=version, start=0, end=9)
            assert data == _body(seed)[:10]
    finally:
        store.close()
    assert len({v for _, v in results.values()}) == 4


def _unsized(data: bytes) -> IO[bytes]:
    """``data`` as a buffered, non-seekable stream."""
    return io.BufferedReader(UnsizedStream(data))
