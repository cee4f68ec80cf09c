"""Issue 3 item 3: versioning on real servers: enable, suspend, status, versions, delete markers."""

from __future__ import annotations

import pytest

from backend.src.libs.bucket import Bucket, ObjectNotFound
from tests.conftest import ServerCase


def test_enable_suspend_and_status(s3case: ServerCase) -> None:
    """A new bucket has no versioning status; enable then suspend are reported."""
    store = s3case.store
    assert store.get_versioning(s3case.bucket) is None
    store.set_versioning(s3case.bucket, True)
    assert store.get_versioning(s3case.bucket) == "Enabled"
    store.set_versioning(s3case.bucket, False)
    assert store.get_versioning(s3case.bucket) == "Suspended"


def test_versions_and_delete_markers(s3case: ServerCase) -> None:
    """Two puts and a delete give two versions and a delete marker; each version can be
    read, headed and deleted by id."""
    store, b = s3case.store, s3case.bucket
    store.set_versioning(b, True)
    v1 = store.put_object(b, "doc.txt", b"one").version_id
    v2 = store.put_object(b, "doc.txt", b"two").version_id
    assert v1 and v2 and v1 != v2
    store.delete_object(b, "doc.txt")
    with pytest.raises(ObjectNotFound):
        store.get_object(b, "doc.txt")
    versions = list(store.list_object_versions(b))
    markers = [v for v in versions if v.is_delete_marker]
    assert len(markers) == 1 and markers[0].is_latest
    assert {v.version_id for v in versions if not v.is_delete_marker} == {v1, v2}
    assert store.get_object(b, "doc.txt", version_id=v1) == b"one"
    assert store.head_object(b, "doc.txt", version_id=v2).size == 3
    store.delete_object(b, "doc.txt", version_id=markers[0].version_id)
    assert store.get_object(b, "doc.txt") == b"two"
    store.delete_object(b, "doc.txt", version_id=v2)
    assert store.get_object(b, "doc.txt") == b"one"


def test_facade_versioning(s3case: ServerCase) -> None:
    """The facade returns codes and lists versions."""
    bucket = Bucket(config=s3case.config())
    assert bucket.set_versioning(s3case.bucket, enabled=True) == bucket.success
    assert bucket.get_versioning(s3case.bucket) == "Enabled"
    bucket.upload_stream(s3case.bucket, b"a", "k")
    bucket.upload_stream(s3case.bucket, b"b", "k")
    versions = bucket.list_file_versions(s3case.bucket)
    assert isinstance(versions, list) and len(versions) == 2
    old = next(v for v in versions if not v.is_latest)
    assert bucket.download_stream(s3case.bucket, "k", version_id=old.version_id) == b"a"
    assert bucket.delete_file(s3case.bucket, "k", version_id=old.version_id) == bucket.success
    assert bucket.set_versioning("no-such-bucket-zz9", enabled=True) == bucket.error


def test_version_listing_pages(s3case: ServerCase) -> None:
    """A version listing read one entry a page (page_size=1) walks every page with the
    server's key and version markers: all versions of all keys, each once."""
    store, b = s3case.store, s3case.bucket
    store.set_versioning(b, True)
    written = {
        (key, store.put_object(b, key, body).version_id)
        for key in ("a", "b/c", "d")
        for body in (b"1", b"22", b"333")
    }
    listed = [(v.key, v.version_id) for v in store.list_object_versions(b, page_size=1)]
    assert len(listed) == len(set(listed)) == 9
    assert set(listed) == written
