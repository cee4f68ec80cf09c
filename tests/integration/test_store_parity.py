"""The same behaviours on the real S3 server and on LocalStore (``any_store``).

Each test runs twice, once per store; a difference between the stores shows up as a
failure of one of the two runs.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from backend.src.libs.bucket import (
    BucketNotEmpty,
    BucketNotFound,
    InvalidArgument,
    ObjectInfo,
    ObjectNotFound,
    PrefixInfo,
)
from backend.src.libs.bucket.base.options import WriteOptions
from tests.conftest import StoreCase, unique_bucket_name

pytestmark = pytest.mark.integration


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def keys_of(entries: object) -> list[str]:
    """Keys and prefixes of a listing, in the order yielded (prefixes end with their delimiter)."""
    out: list[str] = []
    for entry in entries:  # type: ignore[attr-defined]
        out.append(entry.key if isinstance(entry, ObjectInfo) else entry.prefix)
    return out


def put_all(case: StoreCase, keys: list[str]) -> None:
    for key in keys:
        case.store.put_object(case.bucket, key, key.encode())


# ------------------------------------------------------------------ put and get
def test_put_get_bytes_text_and_empty(any_store: StoreCase) -> None:
    """put_object stores bytes, bytearray, memoryview, text (UTF-8) and empty bodies; get returns them."""
    s, b = any_store.store, any_store.bucket
    r = s.put_object(b, "bytes.bin", b"\x00\x01binary\xff")
    assert (r.bucket, r.key, r.size, r.etag) == (b, "bytes.bin", 9, md5(b"\x00\x01binary\xff"))
    s.put_object(b, "ba.bin", bytearray(b"abc"))
    s.put_object(b, "mv.bin", memoryview(b"xyz"))
    s.put_object(b, "text.txt", "héllo")
    r0 = s.put_object(b, "empty", b"")
    assert (r0.size, r0.etag) == (0, md5(b""))
    assert s.get_object(b, "bytes.bin") == b"\x00\x01binary\xff"
    assert s.get_object(b, "ba.bin") == b"abc"
    assert s.get_object(b, "mv.bin") == b"xyz"
    assert s.get_object(b, "text.txt") == "héllo".encode()
    assert s.get_object(b, "empty") == b""


def test_overwrite_replaces_bytes_and_etag(any_store: StoreCase) -> None:
    """A second put to the same key replaces the bytes, the ETag and the metadata."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "k", b"one", options=WriteOptions(metadata={"v": "1"}))
    s.put_object(b, "k", b"second")
    info = s.head_object(b, "k")
    assert s.get_object(b, "k") == b"second"
    assert (info.size, info.etag, dict(info.metadata)) == (6, md5(b"second"), {})


def test_put_stream_seekable_and_not(any_store: StoreCase) -> None:
    """Binary streams go in from their current position to the end, seekable or not."""
    s, b = any_store.store, any_store.bucket
    payload = bytes(range(256)) * 1000
    stream = io.BytesIO(b"skip" + payload)
    stream.seek(4)
    r = s.put_object(b, "stream.bin", stream)
    assert (r.size, s.get_object(b, "stream.bin")) == (len(payload), payload)

    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self._data.read(min(len(buffer), 7000))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    s.put_object(b, "oneway.bin", OneWay(payload))  # type: ignore[arg-type]
    assert s.get_object(b, "oneway.bin") == payload
    assert s.head_object(b, "oneway.bin").size == len(payload)


def test_put_object_reports_progress(any_store: StoreCase) -> None:
    """put_object calls progress(done, total) and ends at (size, size)."""
    s, b = any_store.store, any_store.bucket
    calls: list[tuple[int, int | None]] = []
    s.put_object(b, "p.bin", b"x" * 5000, progress=lambda done, total: calls.append((done, total)))
    assert calls, "no progress reported"
    assert calls[-1] == (5000, 5000)
    assert all(total == 5000 for _, total in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_upload_and_download_file(any_store: StoreCase, tmp_path: Path) -> None:
    """upload_file stores a file's bytes; download_file writes them back atomically with progress."""
    s, b = any_store.store, any_store.bucket
    source = tmp_path / "in.bin"
    data = b"file-bytes" * 10_000
    source.write_bytes(data)
    up: list[tuple[int, int | None]] = []
    r = s.upload_file(b, "dir/in.bin", str(source), progress=lambda d, t: up.append((d, t)))
    assert (r.size, s.get_object(b, "dir/in.bin")) == (len(data), data)
    assert up[-1] == (len(data), len(data))
    target = tmp_path / "out.bin"
    target.write_bytes(b"old contents")
    down: list[tuple[int, int | None]] = []
    n = s.download_file(b, "dir/in.bin", str(target), progress=lambda d, t: down.append((d, t)))
    assert (n, target.read_bytes()) == (len(data), data)
    assert down[-1] == (len(data), len(data))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.bin", "out.bin"]  # no temp left


def test_download_missing_key_leaves_target(any_store: StoreCase, tmp_path: Path) -> None:
    """download_file of a missing key raises ObjectNotFound and leaves the target untouched."""
    target = tmp_path / "keep.txt"
    target.write_bytes(b"keep")
    with pytest.raises(ObjectNotFound):
        any_store.store.download_file(any_store.bucket, "missing", str(target))
    assert target.read_bytes() == b"keep"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_file_arguments_refused(any_store: StoreCase, tmp_path: Path) -> None:
    """upload_file of a missing file and download_file into a folder raise InvalidArgument."""
    s, b = any_store.store, any_store.bucket
    with pytest.raises(InvalidArgument):
        s.upload_file(b, "k", str(tmp_path / "nope"))
    s.put_object(b, "k", b"x")
    with pytest.raises(InvalidArgument):
        s.download_file(b, "k", str(tmp_path))
    with pytest.raises(InvalidArgument):
        s.download_file(b, "k", str(tmp_path / "no" / "such" / "dir.bin"))


def test_open_object_streams(any_store: StoreCase) -> None:
    """open_object returns a readable stream of exactly the object's bytes."""
    s, b = any_store.store, any_store.bucket
    data = b"0123456789" * 5000
    s.put_object(b, "s.bin", data)
    stream = s.open_object(b, "s.bin")
    try:
        first = stream.read(10)
        rest = stream.read()
    finally:
        stream.close()
    assert first + rest == data
    with pytest.raises(ObjectNotFound):
        s.open_object(b, "missing")


# ----------------------------------------------------------------------- ranges
def test_ranges(any_store: StoreCase) -> None:
    """Inclusive ranges: start..end, start.., ..end, one byte, end clamped past the end."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "r", b"0123456789")
    assert s.get_object(b, "r", start=2, end=5) == b"2345"
    assert s.get_object(b, "r", start=7) == b"789"
    assert s.get_object(b, "r", end=2) == b"012"
    assert s.get_object(b, "r", start=9, end=9) == b"9"
    assert s.get_object(b, "r", start=8, end=1000) == b"89"
    assert s.get_object(b, "r", start=0, end=9) == b"0123456789"


def test_range_past_end_and_invalid(any_store: StoreCase) -> None:
    """A start at or past the end raises InvalidArgument (InvalidRange); negative or reversed too."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "r", b"0123456789")
    for start in (10, 11, 1000):
        with pytest.raises(InvalidArgument) as err:
            s.get_object(b, "r", start=start)
        assert err.value.code == "InvalidRange"
    with pytest.raises(InvalidArgument):
        s.get_object(b, "r", start=-1)
    with pytest.raises(InvalidArgument):
        s.get_object(b, "r", start=5, end=2)


# ------------------------------------------------------------- head, exists
def test_head_metadata_and_content_type(any_store: StoreCase) -> None:
    """head_object: size, ETag (MD5), lowercased user metadata, given or guessed content type."""
    s, b = any_store.store, any_store.bucket
    s.put_object(
        b,
        "doc.json",
        b"{}",
        options=WriteOptions(metadata={"Owner": "Alice", "x-Trace": "42"}),
    )
    info = s.head_object(b, "doc.json")
    assert (info.bucket, info.key, info.size, info.etag) == (b, "doc.json", 2, md5(b"{}"))
    assert info.content_type == "application/json"
    assert dict(info.metadata) == {"owner": "Alice", "x-trace": "42"}
    assert info.last_modified is not None and info.last_modified.tzinfo is not None
    s.put_object(b, "doc.json.bak", b"x", options=WriteOptions(content_type="text/x-custom"))
    assert s.head_object(b, "doc.json.bak").content_type == "text/x-custom"
    s.put_object(b, "noext", b"x")
    assert s.head_object(b, "noext").content_type == "application/octet-stream"
    with pytest.raises(ObjectNotFound):
        s.head_object(b, "missing")


def test_set_metadata_keeps_bytes(any_store: StoreCase) -> None:
    """set_metadata replaces user metadata (and content type) and keeps the bytes and ETag."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "m.txt", b"body", options=WriteOptions(metadata={"a": "1"}))
    s.set_metadata(b, "m.txt", {"B": "2"}, content_type="text/csv")
    info = s.head_object(b, "m.txt")
    assert (dict(info.metadata), info.content_type, info.etag) == ({"b": "2"}, "text/csv", md5(b"body"))
    assert s.get_object(b, "m.txt") == b"body"


def test_exists(any_store: StoreCase) -> None:
    """object_exists and bucket_exists: True when present, False when not (missing bucket
    too); a key the portable rule refuses (``a/``, ``a//b``) is InvalidArgument on both
    stores (BUCKET_PORTABLE_KEYS is on by default)."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "a/b", b"x")
    assert s.object_exists(b, "a/b") is True
    assert s.object_exists(b, "a") is False
    for odd in ("a/", "a//b"):
        with pytest.raises(InvalidArgument, match="BUCKET_PORTABLE_KEYS"):
            s.object_exists(b, odd)
    assert s.bucket_exists(b) is True
    missing = unique_bucket_name("nx")
    assert s.bucket_exists(missing) is False
    assert s.object_exists(missing, "a/b") is False


def test_missing_bucket_errors(any_store: StoreCase) -> None:
    """Object calls on a missing bucket raise BucketNotFound (put, get, list, head: S3's
    bare HEAD 404 is told apart from a missing key); a missing key in a present bucket is
    ObjectNotFound on head."""
    s = any_store.store
    missing = unique_bucket_name("nx")
    with pytest.raises(BucketNotFound):
        s.put_object(missing, "k", b"x")
    with pytest.raises(BucketNotFound):
        s.get_object(missing, "k")
    with pytest.raises(BucketNotFound):
        list(s.list_objects(missing))
    with pytest.raises(BucketNotFound) as caught:
        s.head_object(missing, "k")
    assert caught.value.code == "NoSuchBucket"
    with pytest.raises(ObjectNotFound) as missing_key:
        s.head_object(any_store.bucket, "no-such-key")
    assert missing_key.value.code == "NoSuchKey"


# ---------------------------------------------------------------------- delete
def test_delete_one(any_store: StoreCase) -> None:
    """delete_object removes the key; deleting a missing key is not an error."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "a/b/c", b"x")
    s.put_object(b, "a", b"y")
    s.delete_object(b, "a/b/c")
    s.delete_object(b, "a/b/c")
    s.delete_object(b, "never-was")
    assert keys_of(s.list_objects(b)) == ["a"]
    assert s.get_object(b, "a") == b"y"


def test_delete_many(any_store: StoreCase) -> None:
    """delete_objects removes many keys (missing ones count as deleted) and reports them."""
    s, b = any_store.store, any_store.bucket
    keys = [f"many/{i:04d}" for i in range(1205)]
    for key in keys:
        s.put_object(b, key, b"")
    s.put_object(b, "keep", b"k")
    result = s.delete_objects(b, iter([*keys, "not-there"]))
    assert result.ok
    assert sorted(result.deleted) == sorted([*keys, "not-there"])
    assert keys_of(s.list_objects(b)) == ["keep"]


# --------------------------------------------------------------------- listing
# no "a/": a trailing '/' is refused by default (BUCKET_PORTABLE_KEYS, test_key_aliasing.py)
ORDER_KEYS = ["a", "a/b", "a-c", "a0", "b/c/d", "Z", "é", "e", "~tilde", "a b", "日本/語"]


def test_listing_utf8_byte_order(any_store: StoreCase) -> None:
    """list_objects yields every key once, in UTF-8 byte order, with sizes and ETags."""
    s, b = any_store.store, any_store.bucket
    put_all(any_store, ORDER_KEYS)
    entries = list(s.list_objects(b))
    assert keys_of(entries) == sorted(ORDER_KEYS, key=lambda k: k.encode())
    for entry in entries:
        assert isinstance(entry, ObjectInfo)
        assert (entry.size, entry.etag) == (len(entry.key.encode()), md5(entry.key.encode()))


def test_listing_prefix(any_store: StoreCase) -> None:
    """prefix keeps only keys starting with it, on and off segment boundaries."""
    s, b = any_store.store, any_store.bucket
    put_all(any_store, ORDER_KEYS)
    assert keys_of(s.list_objects(b, prefix="a/")) == ["a/b"]
    assert keys_of(s.list_objects(b, prefix="a")) == ["a", "a b", "a-c", "a/b", "a0"]
    assert keys_of(s.list_objects(b, prefix="b/c")) == ["b/c/d"]
    assert keys_of(s.list_objects(b, prefix="日本/")) == ["日本/語"]
    assert keys_of(s.list_objects(b, prefix="nothing")) == []


def test_listing_delimiter(any_store: StoreCase) -> None:
    """delimiter rolls keys up into PrefixInfo entries, merged in order with the objects."""
    s, b = any_store.store, any_store.bucket
    put_all(any_store, ["a", "a/b", "a/c/d", "a/c/e", "a-c", "b/x", "c"])
    top = list(s.list_objects(b, delimiter="/"))
    assert keys_of(top) == ["a", "a-c", "a/", "b/", "c"]
    assert [type(e).__name__ for e in top] == [
        "ObjectInfo", "ObjectInfo", "PrefixInfo", "PrefixInfo", "ObjectInfo"
    ]
    assert keys_of(s.list_objects(b, prefix="a/", delimiter="/")) == ["a/b", "a/c/"]
    assert keys_of(s.list_objects(b, prefix="a/c", delimiter="/")) == ["a/c/"]
    assert keys_of(s.list_objects(b, delimiter="-")) == ["a", "a-", "a/b", "a/c/d", "a/c/e", "b/x", "c"]
    assert keys_of(s.list_objects(b, delimiter="c")) == ["a", "a-c", "a/b", "a/c", "b/x", "c"]


def test_listing_pagination_and_max_keys(any_store: StoreCase) -> None:
    """page_size does not change the result; max_keys caps entries (objects and prefixes)."""
    s, b = any_store.store, any_store.bucket
    keys = [f"k/{i:03d}" for i in range(25)] + ["x/1", "x/2", "y"]
    put_all(any_store, keys)
    assert keys_of(s.list_objects(b, page_size=7)) == sorted(keys)
    assert keys_of(s.list_objects(b, page_size=7, max_keys=10)) == sorted(keys)[:10]
    assert keys_of(s.list_objects(b, max_keys=0)) == []
    assert keys_of(s.list_objects(b, delimiter="/", max_keys=2)) == ["k/", "x/"]
    with pytest.raises(InvalidArgument):
        s.list_objects(b, page_size=0)
    with pytest.raises(InvalidArgument):
        s.list_objects(b, page_size=1001)
    with pytest.raises(InvalidArgument):
        s.list_objects(b, max_keys=-1)


def test_listing_start_after(any_store: StoreCase) -> None:
    """start_after yields only keys strictly after it, also inside and past folders."""
    s, b = any_store.store, any_store.bucket
    put_all(any_store, ["a", "a/b", "a/c/d", "a-c", "b/x", "c"])
    assert keys_of(s.list_objects(b, start_after="a/b")) == ["a/c/d", "b/x", "c"]
    assert keys_of(s.list_objects(b, start_after="a")) == ["a-c", "a/b", "a/c/d", "b/x", "c"]
    assert keys_of(s.list_objects(b, start_after="a/")) == ["a/b", "a/c/d", "b/x", "c"]
    assert keys_of(s.list_objects(b, start_after="zzz")) == []
    assert keys_of(s.list_objects(b, start_after="", prefix="b/")) == ["b/x"]
    assert keys_of(s.list_objects(b, start_after="a/b", page_size=1, max_keys=2)) == ["a/c/d", "b/x"]


def test_listing_start_after_with_delimiter(any_store: StoreCase) -> None:
    """With a delimiter, a common prefix is yielded only if it sorts after start_after."""
    s, b = any_store.store, any_store.bucket
    put_all(any_store, ["a/1", "a/2", "b/1", "c", "d-1", "d-2", "e"])
    assert keys_of(s.list_objects(b, delimiter="/", start_after="a/1")) == ["b/", "c", "d-1", "d-2", "e"]
    assert keys_of(s.list_objects(b, delimiter="/", start_after="a/")) == ["b/", "c", "d-1", "d-2", "e"]
    assert keys_of(s.list_objects(b, delimiter="/", start_after="a")) == ["a/", "b/", "c", "d-1", "d-2", "e"]
    assert keys_of(s.list_objects(b, delimiter="-", start_after="d-1")) == ["e"]
    assert keys_of(s.list_objects(b, delimiter="-", start_after="c")) == ["d-", "e"]


def test_listing_info_fields(any_store: StoreCase) -> None:
    """Listed ObjectInfo carries bucket, key, size, ETag and last_modified; no metadata."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "f.txt", b"hello", options=WriteOptions(metadata={"a": "b"}))
    (entry,) = list(s.list_objects(b))
    assert isinstance(entry, ObjectInfo)
    assert (entry.bucket, entry.key, entry.size, entry.etag) == (b, "f.txt", 5, md5(b"hello"))
    assert entry.last_modified is not None
    assert dict(entry.metadata) == {}


# ----------------------------------------------------------------- copy, move
def test_copy_keeps_metadata(any_store: StoreCase) -> None:
    """copy_object without metadata copies the bytes, metadata and content type."""
    s, b = any_store.store, any_store.bucket
    s.put_object(
        b,
        "src.txt",
        b"data",
        options=WriteOptions(content_type="text/x-src", metadata={"k": "v"}),
    )
    r = s.copy_object(b, "src.txt", b, "dir/dst.bin")
    assert (r.bucket, r.key, r.etag) == (b, "dir/dst.bin", md5(b"data"))
    info = s.head_object(b, "dir/dst.bin")
    assert (dict(info.metadata), info.content_type, info.size) == ({"k": "v"}, "text/x-src", 4)
    assert s.get_object(b, "src.txt") == b"data"


def test_copy_replaces_metadata(any_store: StoreCase) -> None:
    """copy_object with metadata and/or content_type replaces them (the other one is kept)."""
    s, b = any_store.store, any_store.bucket
    s.put_object(
        b,
        "src.txt",
        b"data",
        options=WriteOptions(content_type="text/x-src", metadata={"k": "v"}),
    )
    s.copy_object(b, "src.txt", b, "m", metadata={"New": "1"})
    info = s.head_object(b, "m")
    assert (dict(info.metadata), info.content_type) == ({"new": "1"}, "text/x-src")
    s.copy_object(b, "src.txt", b, "c", content_type="image/png")
    info = s.head_object(b, "c")
    assert (dict(info.metadata), info.content_type) == ({"k": "v"}, "image/png")
    s.copy_object(b, "src.txt", b, "both", metadata={}, content_type="text/plain")
    info = s.head_object(b, "both")
    assert (dict(info.metadata), info.content_type) == ({}, "text/plain")


def test_copy_across_buckets_and_errors(any_store: StoreCase) -> None:
    """copy_object works across buckets; a missing source raises ObjectNotFound."""
    s, b = any_store.store, any_store.bucket
    other = unique_bucket_name("cp")
    s.create_bucket(other)
    try:
        s.put_object(b, "x", b"123")
        s.copy_object(b, "x", other, "y")
        assert s.get_object(other, "y") == b"123"
        with pytest.raises(ObjectNotFound):
            s.copy_object(b, "missing", other, "z")
        assert s.object_exists(other, "z") is False
    finally:
        s.delete_bucket(other, force=True)


def test_copy_onto_itself_needs_a_change(any_store: StoreCase) -> None:
    """Copying an object onto itself without new metadata is refused (InvalidArgument)."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "self", b"x")
    with pytest.raises(InvalidArgument):
        s.copy_object(b, "self", b, "self")
    assert s.get_object(b, "self") == b"x"


def test_move(any_store: StoreCase) -> None:
    """move_object copies then deletes the source; moving onto itself is refused."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "from/a.txt", b"moved", options=WriteOptions(metadata={"m": "1"}))
    r = s.move_object(b, "from/a.txt", b, "to/a.txt")
    assert r.key == "to/a.txt"
    assert s.get_object(b, "to/a.txt") == b"moved"
    assert dict(s.head_object(b, "to/a.txt").metadata) == {"m": "1"}
    assert s.object_exists(b, "from/a.txt") is False
    assert keys_of(s.list_objects(b)) == ["to/a.txt"]
    with pytest.raises(InvalidArgument):
        s.move_object(b, "to/a.txt", b, "to/a.txt")
    with pytest.raises(ObjectNotFound):
        s.move_object(b, "missing", b, "anywhere")


# --------------------------------------------------------------------- buckets
def test_bucket_lifecycle(any_store: StoreCase) -> None:
    """create_bucket (exist_ok), list_buckets, delete_bucket: refuse non-empty, force empties."""
    from backend.src.libs.bucket import AlreadyExists

    s = any_store.store
    name = unique_bucket_name("lc")
    s.create_bucket(name)
    try:
        s.create_bucket(name)  # exist_ok=True by default
        with pytest.raises(AlreadyExists):
            s.create_bucket(name, exist_ok=False)
        assert name in [info.name for info in s.list_buckets()]
        s.put_object(name, "a/b", b"x")
        s.put_object(name, "a", b"y")
        with pytest.raises(BucketNotEmpty):
            s.delete_bucket(name)
        assert s.get_object(name, "a/b") == b"x"
        s.delete_bucket(name, force=True)
        assert s.bucket_exists(name) is False
        assert name not in [info.name for info in s.list_buckets()]
        with pytest.raises(BucketNotFound):
            s.delete_bucket(name)
    finally:
        if s.bucket_exists(name):
            s.delete_bucket(name, force=True)


def test_delete_empty_bucket(any_store: StoreCase) -> None:
    """delete_bucket without force removes a bucket whose objects were all deleted."""
    s = any_store.store
    name = unique_bucket_name("de")
    s.create_bucket(name)
    s.put_object(name, "deep/down/key", b"x")
    s.delete_object(name, "deep/down/key")
    s.delete_bucket(name)
    assert s.bucket_exists(name) is False


# -------------------------------------------------------------- invalid input
@pytest.mark.parametrize("name", ["ab", "UPPER", "has_underscore", "-start", "192.168.1.1", "a..b", "x" * 64])
def test_invalid_bucket_names_refused(any_store: StoreCase, name: str) -> None:
    """Bucket names breaking S3's rules raise InvalidArgument before anything is done."""
    s = any_store.store
    with pytest.raises(InvalidArgument):
        s.create_bucket(name)
    with pytest.raises(InvalidArgument):
        s.put_object(name, "k", b"x")
    with pytest.raises(InvalidArgument):
        s.bucket_exists(name)


@pytest.mark.parametrize("key", ["", "x" * 1025, "nul\x00byte", "é" * 513])
def test_invalid_keys_refused(any_store: StoreCase, key: str) -> None:
    """Empty, over-1024-byte and NUL keys raise InvalidArgument on put, get and delete."""
    s, b = any_store.store, any_store.bucket
    with pytest.raises(InvalidArgument):
        s.put_object(b, key, b"x")
    with pytest.raises(InvalidArgument):
        s.get_object(b, key)
    with pytest.raises(InvalidArgument):
        s.delete_object(b, key)
    assert keys_of(s.list_objects(b)) == []


def test_invalid_metadata_refused(any_store: StoreCase) -> None:
    """Metadata with bad names, non-string values or over 2 KiB raises InvalidArgument."""
    s, b = any_store.store, any_store.bucket
    for bad in ({"bad name": "x"}, {"k": 1}, {"k": "v" * 3000}):
        with pytest.raises(InvalidArgument):
            s.put_object(b, "k", b"x", options=WriteOptions(metadata=bad))  # type: ignore[arg-type]
    assert s.object_exists(b, "k") is False


def test_ping(any_store: StoreCase) -> None:
    """ping returns a small non-negative latency in seconds."""
    latency = any_store.store.ping()
    assert 0 <= latency < 10


def test_prefix_info_type(any_store: StoreCase) -> None:
    """Common prefixes are PrefixInfo with the bucket name."""
    s, b = any_store.store, any_store.bucket
    s.put_object(b, "dir/x", b"")
    (entry,) = list(s.list_objects(b, delimiter="/"))
    assert entry == PrefixInfo(bucket=b, prefix="dir/")
