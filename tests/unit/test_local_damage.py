"""LocalStore and damaged object files (issue 15, item 12): a trailer that is valid JSON but
not the properties the store writes is an ``IntegrityError`` for that one object, named;
a listing skips it with a warning naming it and lists the rest.

The choice: a listing never raises for one damaged object (it would make a whole bucket
unlistable, ``get_bucket_files`` included); it logs a WARNING on ``bucket.local`` naming the
key, the bucket and the file, and goes on. ``head``/``get``/``open``/``download``/``copy`` of
that key raise ``IntegrityError`` with the key, and the file's path in the message.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import Bucket, BucketConfig, IntegrityError, ObjectInfo
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.local.store import _TRAILER, MAGIC, LocalStore

BUCKET = "damage-bucket"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    s = LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path / "root")))
    s.create_bucket(BUCKET)
    for key in ("a", "b", "dir/c", "d"):
        s.put_object(
            BUCKET,
            key,
            f"bytes of {key}".encode(),
            options=WriteOptions(metadata={"k": "v"}),
        )
    return s


def rewrite_trailer(store: LocalStore, key: str, change: Any) -> None:
    """Replace the JSON of ``key``'s trailer by ``change(header)`` (a valid trailer frame)."""
    path = store.object_path(BUCKET, key)
    raw = path.read_bytes()
    length, magic = _TRAILER.unpack(raw[-_TRAILER.size :])
    assert magic == MAGIC
    header = json.loads(raw[-_TRAILER.size - length : -_TRAILER.size])
    data = raw[: header["size"]]
    body = json.dumps(change(header)).encode()
    path.write_bytes(data + body + _TRAILER.pack(len(body), MAGIC))


def without(field: str) -> Any:
    return lambda h: {k: v for k, v in h.items() if k != field}


def setting(field: str, value: object) -> Any:
    return lambda h: {**h, field: value}


DAMAGE = {
    "no etag": without("etag"),
    "etag not text": setting("etag", 12),
    "date is text": setting("last_modified", "yesterday"),
    "date overflows": setting("last_modified", 1e300),
    "date out of range": setting("last_modified", 1e15),
    "date NaN": setting("last_modified", float("nan")),
    "metadata a list": setting("metadata", ["k", "v"]),
    "metadata value a number": setting("metadata", {"k": 1}),
    "content type a number": setting("content_type", 5),
    "size as text": lambda h: {**h, "size": str(h["size"])},
    "not an object": lambda h: [h],
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_damaged_object_is_skipped_by_listing_and_named(
    store: LocalStore, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    """One object with a wrong-but-valid-JSON trailer: list_objects yields the three others
    (keys and sizes right) and logs a warning naming the damaged key; head, get and
    download raise IntegrityError carrying that key."""
    rewrite_trailer(store, "b", DAMAGE[damage])
    with caplog.at_level(logging.WARNING, logger="bucket.local"):
        listed = [e for e in store.list_objects(BUCKET) if isinstance(e, ObjectInfo)]
    assert [(e.key, e.size) for e in listed] == [("a", 10), ("d", 10), ("dir/c", 14)]
    assert "'b'" in caplog.text and BUCKET in caplog.text
    for call in (
        lambda: store.head_object(BUCKET, "b"),
        lambda: store.get_object(BUCKET, "b"),
        lambda: store.download_file(BUCKET, "b", store.root.parent / "out"),
    ):
        with pytest.raises(IntegrityError) as caught:
            call()
        assert caught.value.key == "b"
        assert "b~" in caught.value.message
    assert not (store.root.parent / "out").exists()


def test_damaged_object_through_the_facade(
    store: LocalStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the Bucket facade: get_bucket_files returns the other keys (not an error
    code), list_files yields them and leaves last_error unset, and get_file on the damaged
    key returns the error code with an IntegrityError naming it in last_error."""
    rewrite_trailer(store, "b", without("etag"))
    rewrite_trailer(store, "dir/c", setting("last_modified", 1e300))
    bucket = Bucket(store=store)
    with caplog.at_level(logging.WARNING, logger="bucket.local"):
        assert bucket.get_bucket_files(BUCKET) == ["a", "d"]
        listing = bucket.list_files(BUCKET)
        assert not isinstance(listing, int)
        assert [e.key for e in listing if isinstance(e, ObjectInfo)] == ["a", "d"]
    assert bucket.last_error is None
    assert "'b'" in caplog.text and "'dir/c'" in caplog.text
    assert bucket.get_bucket_file(BUCKET, "b") == bucket.error
    assert isinstance(bucket.last_error, IntegrityError)
    assert bucket.last_error.key == "b"


@pytest.mark.parametrize("absent", ["content_type", "metadata", "last_modified"])
def test_trailer_without_an_optional_field_is_not_damage(store: LocalStore, absent: str) -> None:
    """A trailer without content type, metadata or last-modified time (fields a trailer
    may lack) reads as unknown: head_object gives None, {} or 1970, never the text
    'None' as a content type."""
    rewrite_trailer(store, "a", without(absent))
    info = store.head_object(BUCKET, "a")
    assert info.content_type == (None if absent == "content_type" else "application/octet-stream")
    assert info.metadata == ({} if absent == "metadata" else {"k": "v"})
    assert (info.last_modified.year == 1970) == (absent == "last_modified")
    assert store.get_object(BUCKET, "a") == b"bytes of a"
