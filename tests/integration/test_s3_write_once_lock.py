"""Issue 3 item 6: write-once puts and object lock on real servers."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from backend.src.libs.bucket import AlreadyExists, Bucket, Conflict, PermissionDenied
from tests.conftest import ServerCase

MiB = 1024 * 1024


def test_write_once_put(s3case: ServerCase) -> None:
    """if_none_match='*' writes a new key and refuses an existing one with AlreadyExists
    (a Conflict); the first bytes stay."""
    store, b = s3case.store, s3case.bucket
    store.put_object(b, "once.txt", b"first", if_none_match="*")
    with pytest.raises(AlreadyExists) as info:
        store.put_object(b, "once.txt", b"second", if_none_match="*")
    assert isinstance(info.value, Conflict)
    assert store.get_object(b, "once.txt") == b"first"


def test_write_once_multipart(s3case: ServerCase) -> None:
    """A multipart write-once upload over an existing key is refused and leaves no upload."""
    store, b = s3case.store, s3case.bucket
    store.put_object(b, "big.bin", b"small")
    with pytest.raises(AlreadyExists):
        store.put_object(b, "big.bin", os.urandom(6 * MiB), if_none_match="*",
                         multipart_threshold=5 * MiB, part_size=5 * MiB)
    assert store.get_object(b, "big.bin") == b"small"
    assert not store.client.list_multipart_uploads(Bucket=b).get("Uploads")


def test_write_once_on_versioned_bucket(s3case: ServerCase) -> None:
    """On a versioned bucket a write-once put over an existing key is refused too."""
    s3case.need("write-once-versioned")
    s3case.store.set_versioning(s3case.bucket, True)
    s3case.store.put_object(s3case.bucket, "v.txt", b"1")
    with pytest.raises(AlreadyExists):
        s3case.store.put_object(s3case.bucket, "v.txt", b"2", if_none_match="*")


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
    v1 = store.put_object(b, "r.txt", b"x", lock_mode="GOVERNANCE", retain_until=until).version_id
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
