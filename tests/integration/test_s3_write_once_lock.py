"""Issue 3 item 6: write-once puts and object lock on real servers; issue 15 item 3:
write-once on every upload path (streams and files above the multipart threshold)."""

from __future__ import annotations

import io
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from backend.src.libs.bucket import (
    AlreadyExists,
    Bucket,
    Conflict,
    InvalidArgument,
    NotSupported,
    PermissionDenied,
    UploadResult,
)
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.s3 import transfer
from backend.src.libs.bucket.s3.admin import Retention
from backend.src.libs.bucket.s3.transfer import TransferSettings
from tests.conftest import ServerCase
from tests.integration._helpers import RequestLog
from tests.streams import UnsizedStream

MiB = 1024 * 1024


def test_write_once_put(s3case: ServerCase) -> None:
    """if_none_match='*' writes a new key and refuses an existing one with AlreadyExists
    (a Conflict); the first bytes stay."""
    store, b = s3case.store, s3case.bucket
    store.put_object(b, "once.txt", b"first", options=WriteOptions(mode="create"))
    with pytest.raises(AlreadyExists) as info:
        store.put_object(b, "once.txt", b"second", options=WriteOptions(mode="create"))
    assert isinstance(info.value, Conflict)
    assert store.get_object(b, "once.txt") == b"first"


def test_write_once_multipart(s3case: ServerCase) -> None:
    """A multipart write-once upload over an existing key is refused and leaves no upload."""
    store, b = s3case.store, s3case.bucket
    store.put_object(b, "big.bin", b"small")
    with pytest.raises(AlreadyExists):
        store.put_object(
            b,
            "big.bin",
            os.urandom(6 * MiB),
            options=WriteOptions(mode="create"),
            transfer=TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB),
        )
    assert store.get_object(b, "big.bin") == b"small"
    assert not store.client.list_multipart_uploads(Bucket=b).get("Uploads")


def test_write_once_on_versioned_bucket(s3case: ServerCase) -> None:
    """On a versioned bucket a write-once put over an existing key is refused too."""
    s3case.need("write-once-versioned")
    s3case.store.set_versioning(s3case.bucket, True)
    s3case.store.put_object(s3case.bucket, "v.txt", b"1")
    with pytest.raises(AlreadyExists):
        s3case.store.put_object(s3case.bucket, "v.txt", b"2", options=WriteOptions(mode="create"))


def test_facade_write_once_returns_error(s3case: ServerCase) -> None:
    """The facade returns ``error`` with AlreadyExists in last_error."""
    bucket = Bucket(config=s3case.config())
    assert bucket.upload_stream(s3case.bucket, b"a", "f", if_none_match="*") == bucket.success
    assert bucket.upload_stream(s3case.bucket, b"b", "f", if_none_match="*") == bucket.error
    assert isinstance(bucket.last_error, AlreadyExists)


def test_object_lock_retention_and_legal_hold(s3case: ServerCase) -> None:
    """A bucket created with object lock keeps a retained version and a held version
    from deletion until the hold is lifted."""
    store = s3case.store
    b = s3case.new_bucket(object_lock=True)
    assert store.get_object_lock(b).enabled
    until = datetime.now(UTC) + timedelta(seconds=3)
    v1 = store.put_object(
        b,
        "r.txt",
        b"x",
        options=WriteOptions(retention=Retention("GOVERNANCE", until)),
    ).version_id
    retention = store.get_retention(b, "r.txt", version_id=v1)
    assert retention is not None and retention.mode == "GOVERNANCE"
    with pytest.raises(PermissionDenied):
        store.delete_object(b, "r.txt", version_id=v1)
    v2 = store.put_object(b, "h.txt", b"x").version_id
    store.set_legal_hold(b, "h.txt", True, version_id=v2)
    assert store.get_legal_hold(b, "h.txt", version_id=v2) is True
    with pytest.raises(PermissionDenied):
        store.delete_object(b, "h.txt", version_id=v2)
    store.set_legal_hold(b, "h.txt", False, version_id=v2)
    store.delete_object(b, "h.txt", version_id=v2)
    store.delete_object(b, "r.txt", version_id=v1, bypass_governance=True)


def test_default_retention_is_set_and_bad_days_are_refused_before_a_request(
    s3case: ServerCase,
) -> None:
    """set_object_lock sets a bucket's default retention (get_object_lock reads it back);
    days that are not a positive whole number (None, 0, 1.5, True) raise InvalidArgument
    naming ``days`` before any request (None reached botocore's own parameter check)."""
    store = s3case.store
    b = s3case.new_bucket(object_lock=True)
    store.set_object_lock(b, mode="GOVERNANCE", days=1)
    config = store.get_object_lock(b)
    assert (config.enabled, config.mode, config.days) == (True, "GOVERNANCE", 1)
    for days in (None, 0, 1.5, True):
        with pytest.raises(InvalidArgument, match=r"\bdays must be a positive number of days, not"):
            store.set_object_lock(b, mode="GOVERNANCE", days=days)  # type: ignore[arg-type]
    assert store.get_object_lock(b).days == 1


# ---------------------------------------------------- issue 15 item 3: every upload path

def _stream(kind: str, data: bytes) -> IO[bytes]:
    return io.BytesIO(data) if kind == "seekable" else io.BufferedReader(UnsizedStream(data))


def _uploads(case: ServerCase) -> list[object]:
    return list(case.store.client.list_multipart_uploads(Bucket=case.bucket).get("Uploads", []))


LARGE = {"multipart_threshold": 5 * MiB, "part_size": 5 * MiB}  # the facade's keywords
LARGE_TRANSFER = TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB)


@pytest.mark.parametrize("kind", ["seekable", "unknown-length"])
def test_write_once_stream_above_threshold_keeps_existing(s3case: ServerCase, kind: str) -> None:
    """A write-once stream above the multipart threshold over an existing key raises
    AlreadyExists and the object keeps its bytes (Ceph ignores If-None-Match on
    CompleteMultipartUpload: the library must not rely on it)."""
    store, b = s3case.store, s3case.bucket
    store.put_object(b, "big.bin", b"original")
    with pytest.raises(AlreadyExists):
        store.put_object(
            b,
            "big.bin",
            _stream(kind, os.urandom(11 * MiB)),
            options=WriteOptions(mode="create"),
            transfer=LARGE_TRANSFER,
        )
    assert store.get_object(b, "big.bin") == b"original"
    assert _uploads(s3case) == []


def test_write_once_file_above_threshold_keeps_existing(s3case: ServerCase, tmp_path: Path) -> None:
    """upload_file with write-once above the threshold over an existing key: AlreadyExists,
    object unchanged, no incomplete upload."""
    store, b = s3case.store, s3case.bucket
    store.put_object(b, "big.bin", b"original")
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(11 * MiB))
    with pytest.raises(AlreadyExists):
        store.upload_file(
            b,
            "big.bin",
            path,
            options=WriteOptions(mode="create"),
            transfer=LARGE_TRANSFER,
        )
    assert store.get_object(b, "big.bin") == b"original"
    assert _uploads(s3case) == []


@pytest.mark.parametrize("kind", ["seekable", "unknown-length", "file"])
def test_write_once_large_new_key_is_written_with_progress(
    s3case: ServerCase, tmp_path: Path, kind: str
) -> None:
    """A write-once upload above the threshold to a new key stores the exact bytes as one
    conditional PUT (no multipart upload on a server that may ignore If-None-Match there),
    reports progress up to the total, and a second one is refused."""
    store, b = s3case.store, s3case.bucket
    data = os.urandom(11 * MiB)
    log = RequestLog(store.client)
    seen: list[tuple[int, int | None]] = []

    def upload(payload: bytes) -> UploadResult:
        if kind == "file":
            path = tmp_path / "f.bin"
            path.write_bytes(payload)
            return store.upload_file(
                b,
                "new.bin",
                path,
                progress=lambda d, t: seen.append((d, t)),
                options=WriteOptions(mode="create"),
                transfer=LARGE_TRANSFER,
            )
        return store.put_object(
            b,
            "new.bin",
            _stream(kind, payload),
            progress=lambda d, t: seen.append((d, t)),
            options=WriteOptions(mode="create"),
            transfer=LARGE_TRANSFER,
        )

    result = upload(data)
    assert result.size == len(data)
    assert store.get_object(b, "new.bin") == data
    assert seen and seen[-1] == (len(data), len(data))
    assert log.count("POST", "uploads") == 0  # no CreateMultipartUpload
    puts = [h for m, url, h in log.requests if m == "PUT" and "new.bin" in url]
    assert len(puts) == 1 and puts[0].get("If-None-Match") in ("*", b"*")
    with pytest.raises(AlreadyExists):
        upload(os.urandom(11 * MiB))
    assert store.get_object(b, "new.bin") == data
    assert _uploads(s3case) == []


def test_write_once_above_single_put_limit_is_refused(s3case: ServerCase, tmp_path: Path) -> None:
    """Above 5 GiB one PUT cannot carry the body: on a server other than AWS a write-once
    upload is refused with NotSupported naming the limit, before anything is sent."""
    store, b = s3case.store, s3case.bucket
    path = tmp_path / "huge.bin"
    with path.open("wb") as handle:  # sparse: takes no disk space
        handle.truncate(5 * 1024 * MiB + 1)
    log = RequestLog(store.client)
    with pytest.raises(NotSupported, match="5 GiB"):
        store.upload_file(b, "huge.bin", path, options=WriteOptions(mode="create"))
    with path.open("rb") as handle, pytest.raises(NotSupported, match="5 GiB"):
        store.put_object(b, "huge.bin", handle, options=WriteOptions(mode="create"))
    assert log.requests == []
    assert not store.object_exists(b, "huge.bin")


def test_write_once_unknown_length_over_limit_is_refused(
    s3case: ServerCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream of unknown length that turns out larger than one PUT can carry is refused
    (NotSupported) after spooling, and nothing is written (limit lowered for the test)."""
    monkeypatch.setattr(transfer, "MAX_SINGLE_PUT", 7 * MiB)
    store, b = s3case.store, s3case.bucket
    with pytest.raises(NotSupported):
        store.put_object(
            b,
            "over.bin",
            _stream("unknown-length", os.urandom(8 * MiB)),
            options=WriteOptions(mode="create"),
            transfer=LARGE_TRANSFER,
        )
    assert not store.object_exists(b, "over.bin")
    assert _uploads(s3case) == []


def test_write_once_large_race_has_one_winner(s3case: ServerCase) -> None:
    """Two writers of one new key above the threshold at once: exactly one succeeds and
    the object holds its bytes."""
    store, b = s3case.store, s3case.bucket
    for round_no in range(3):
        key = f"race-{round_no}.bin"
        bodies = {name: os.urandom(6 * MiB) for name in ("a", "b")}
        outcomes: dict[str, str] = {}
        barrier = threading.Barrier(2)

        def write(
            name: str,
            key: str = key,
            barrier: threading.Barrier = barrier,
            outcomes: dict[str, str] = outcomes,
            bodies: dict[str, bytes] = bodies,
        ) -> None:
            barrier.wait()
            try:
                store.put_object(
                    b,
                    key,
                    _stream("unknown-length", bodies[name]),
                    options=WriteOptions(mode="create"),
                    transfer=LARGE_TRANSFER,
                )
                outcomes[name] = "won"
            except AlreadyExists:
                outcomes[name] = "lost"

        threads = [threading.Thread(target=write, args=(n,)) for n in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["lost", "won"], outcomes
        winner = next(n for n, o in outcomes.items() if o == "won")
        assert store.get_object(b, key) == bodies[winner]


@pytest.mark.parametrize("path_kind", ["stream", "file"])
def test_facade_write_once_above_threshold_returns_error(
    s3case: ServerCase, tmp_path: Path, path_kind: str
) -> None:
    """Through the facade, write-once above the threshold over an existing key returns the
    error code (84) with AlreadyExists in last_error, and the object is unchanged."""
    bucket = Bucket(config=s3case.config())
    try:
        assert bucket.upload_stream(s3case.bucket, b"original", "f.bin") == bucket.success
        data = os.urandom(11 * MiB)
        if path_kind == "stream":
            code = bucket.upload_stream(
                s3case.bucket, _stream("unknown-length", data), "f.bin", if_none_match="*", **LARGE
            )
        else:
            path = tmp_path / "f.bin"
            path.write_bytes(data)
            code = bucket.upload_file(s3case.bucket, path, "f.bin", if_none_match="*", **LARGE)
        assert code == bucket.error == 84
        assert isinstance(bucket.last_error, AlreadyExists)
        assert s3case.store.get_object(s3case.bucket, "f.bin") == b"original"
        assert _uploads(s3case) == []
    finally:
        bucket.disconnect()
