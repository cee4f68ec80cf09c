"""Every public method of the Bucket facade against the real S3 server: success and failure."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from backend.src.libs.bucket import (
    AlreadyExists,
    Bucket,
    BucketNotEmpty,
    BucketNotFound,
    DeleteResult,
    InvalidArgument,
    ObjectInfo,
    ObjectNotFound,
    PrefixInfo,
)
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import unique_bucket_name

pytestmark = pytest.mark.integration


def test_bucket_lifecycle(facade: Bucket, s3_store: S3Store) -> None:
    """create_bucket, get_bucket_names, bucket_exists, delete_bucket: codes and server state."""
    name = unique_bucket_name("fc")
    assert facade.bucket_exists(name) is False
    assert facade.create_bucket(name) == facade.success
    assert name in facade.get_bucket_names()  # type: ignore[operator]
    assert facade.bucket_exists(name) is True
    assert facade.create_bucket(name) == facade.success  # you already own it: fine
    assert facade.create_bucket(name, exist_ok=False) == facade.error
    assert isinstance(facade.last_error, AlreadyExists)
    assert facade.delete_bucket(name) == facade.success
    assert s3_store.bucket_exists(name) is False
    assert facade.delete_bucket(name) == facade.error
    assert isinstance(facade.last_error, BucketNotFound)


def test_invalid_bucket_name_fails_before_any_request(facade: Bucket) -> None:
    """An invalid name returns error with the rule named, and sends no request."""
    sent: list[object] = []
    facade.store.client.meta.events.register("before-send", lambda **kw: sent.append(kw))  # type: ignore[attr-defined]
    assert facade.create_bucket("Bad_Name") == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert "lowercase" in facade.last_error.message
    assert sent == []


def test_ensure_bucket_creates_once(facade: Bucket, s3_store: S3Store) -> None:
    """ensure_bucket makes a missing bucket and leaves an existing one (and its objects) alone."""
    name = unique_bucket_name("en")
    try:
        assert facade.ensure_bucket(name) == facade.success
        s3_store.put_object(name, "keep.txt", b"x")
        assert facade.ensure_bucket(name) == facade.success
        assert s3_store.get_object(name, "keep.txt") == b"x"
    finally:
        s3_store.delete_bucket(name, force=True)


def test_delete_bucket_not_empty_then_force(facade: Bucket, s3_store: S3Store) -> None:
    """A bucket with objects is refused (BucketNotEmpty) unless force=True, which empties it."""
    name = unique_bucket_name("del")
    s3_store.create_bucket(name)
    for i in range(3):
        s3_store.put_object(name, f"k{i}", b"data")
    assert facade.delete_bucket(name) == facade.error
    assert isinstance(facade.last_error, BucketNotEmpty)
    assert facade.delete_bucket(name, force=True) == facade.success
    assert s3_store.bucket_exists(name) is False


def test_upload_and_download_file(facade: Bucket, bucket_name: str, tmp_path: Path) -> None:
    """upload_file then download_file round-trips the bytes; the key defaults to the path."""
    source = tmp_path / "data.json"
    source.write_bytes(b'{"answer": 42}')
    assert facade.upload_file(bucket_name, str(source), "config/data.json") == facade.success
    dest = tmp_path / "out.json"
    assert facade.download_file(bucket_name, "config/data.json", str(dest)) == facade.success
    assert dest.read_bytes() == b'{"answer": 42}'
    info = facade.get_bucket_file(bucket_name, "config/data.json")
    assert isinstance(info, dict)
    assert info["file_path"] == "config/data.json"
    assert info["file_size"] == 14
    assert info["content_type"] == "application/json"
    relative = Path("rel-upload.txt")
    relative.write_bytes(b"r")
    try:
        assert facade.upload_file(bucket_name, "./rel-upload.txt") == facade.success
        assert facade.file_exists(bucket_name, "rel-upload.txt") is True
    finally:
        relative.unlink()


def test_upload_file_failures(facade: Bucket, bucket_name: str, tmp_path: Path) -> None:
    """Missing file, a folder, a missing bucket: error with a clear last_error, nothing stored."""
    assert facade.upload_file(bucket_name, str(tmp_path / "nope.bin"), "k") == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert "does not exist" in facade.last_error.message
    assert facade.upload_file(bucket_name, str(tmp_path), "k") == facade.error
    assert "not a regular file" in facade.last_error.message  # type: ignore[union-attr]
    f = tmp_path / "f.txt"
    f.write_bytes(b"x")
    assert facade.upload_file(unique_bucket_name("missing"), str(f), "k") == facade.error
    assert isinstance(facade.last_error, BucketNotFound)
    assert facade.get_bucket_files(bucket_name) == []


def test_download_failures_leave_nothing(facade: Bucket, bucket_name: str, tmp_path: Path) -> None:
    """A missing key or an unwritable destination returns error and writes no file."""
    dest = tmp_path / "out.bin"
    assert facade.download_file(bucket_name, "missing", str(dest)) == facade.error
    assert isinstance(facade.last_error, ObjectNotFound)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []
    facade.upload_stream(bucket_name, b"abc", "present")
    assert facade.download_file(bucket_name, "present", str(tmp_path / "no-dir" / "x")) == facade.error
    assert "does not exist" in facade.last_error.message  # type: ignore[union-attr]
    assert facade.download_file(bucket_name, "present", str(tmp_path)) == facade.error
    assert "directory" in facade.last_error.message  # type: ignore[union-attr]


def test_upload_stream_bytes_text_and_file_objects(facade: Bucket, bucket_name: str) -> None:
    """upload_stream takes bytes, text and binary streams; download_stream returns the bytes."""
    assert facade.upload_stream(bucket_name, b"\x00\x01binary", "a.bin") == facade.success
    assert facade.upload_stream(bucket_name, "héllo", "b.txt") == facade.success
    assert facade.upload_stream(bucket_name, io.BytesIO(b"from a stream"), "c.dat") == facade.success
    assert facade.download_stream(bucket_name, "a.bin") == b"\x00\x01binary"
    assert facade.download_stream(bucket_name, "b.txt") == "héllo".encode()
    assert facade.download_stream(bucket_name, "c.dat") == b"from a stream"
    assert facade.download_stream(bucket_name, "nope") == facade.error
    assert isinstance(facade.last_error, ObjectNotFound)


def test_upload_stream_wrong_type(facade: Bucket, bucket_name: str) -> None:
    """A non-bytes, non-stream payload is an error naming the type, and stores nothing."""
    assert facade.upload_stream(bucket_name, 12345, "k") == facade.error  # type: ignore[arg-type]
    assert "int" in facade.last_error.message  # type: ignore[union-attr]
    assert facade.file_exists(bucket_name, "k") is False


def test_ranges(facade: Bucket, bucket_name: str) -> None:
    """get_file_range returns inclusive ranges, clamps past the end, refuses bad ranges."""
    facade.upload_stream(bucket_name, b"0123456789", "digits")
    assert facade.get_file_range(bucket_name, "digits", start=2, end=5) == b"2345"
    assert facade.get_file_range(bucket_name, "digits", start=7) == b"789"
    assert facade.get_file_range(bucket_name, "digits", end=1) == b"01"
    assert facade.get_file_range(bucket_name, "digits", start=8, end=100) == b"89"
    assert facade.get_file_range(bucket_name, "digits", start=50) == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert facade.get_file_range(bucket_name, "digits", start=5, end=2) == facade.error
    assert facade.get_file_range(bucket_name, "digits", start=-1) == facade.error


def test_open_file_streams(facade: Bucket, bucket_name: str) -> None:
    """open_file returns a readable stream of the object's bytes."""
    payload = os.urandom(300_000)
    facade.upload_stream(bucket_name, payload, "blob")
    stream = facade.open_file(bucket_name, "blob")
    assert not isinstance(stream, int)
    try:
        chunks = [stream.read(65536) for _ in range(10)]
    finally:
        stream.close()
    assert b"".join(chunks) == payload
    assert facade.open_file(bucket_name, "missing") == facade.error


def test_delete_file_and_files(facade: Bucket, bucket_name: str, s3_store: S3Store) -> None:
    """delete_file removes one key (missing is fine); delete_files many, with a result."""
    for i in range(5):
        s3_store.put_object(bucket_name, f"d/{i}", b"x")
    assert facade.delete_file(bucket_name, "d/0") == facade.success
    assert facade.delete_file(bucket_name, "d/0") == facade.success
    result = facade.delete_files(bucket_name, ["d/1", "d/2", "never-existed"])
    assert isinstance(result, DeleteResult)
    assert result.ok
    assert set(result.deleted) == {"d/1", "d/2", "never-existed"}
    assert sorted(facade.get_bucket_files(bucket_name)) == ["d/3", "d/4"]  # type: ignore[arg-type]
    assert facade.delete_files(bucket_name, ["ok", ""]) == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert facade.delete_file(unique_bucket_name("none"), "k") == facade.error
    assert isinstance(facade.last_error, BucketNotFound)


def test_listing(facade: Bucket, bucket_name: str, s3_store: S3Store) -> None:
    """get_bucket_files lists every key; list_files streams with prefix, delimiter and limits."""
    keys = ["a.txt", "dir/one", "dir/two", "dir/sub/three", "z"]
    for key in keys:
        s3_store.put_object(bucket_name, key, key.encode())
    assert facade.get_bucket_files(bucket_name) == sorted(keys)
    listed = facade.list_files(bucket_name, prefix="dir/", delimiter="/")
    assert not isinstance(listed, int)
    entries = list(listed)
    assert [e.key for e in entries if isinstance(e, ObjectInfo)] == ["dir/one", "dir/two"]
    assert [e.prefix for e in entries if isinstance(e, PrefixInfo)] == ["dir/sub/"]
    limited = facade.list_files(bucket_name, max_keys=2, page_size=1)
    assert [e.key for e in limited] == ["a.txt", "dir/one"]  # type: ignore[union-attr]
    after = facade.list_files(bucket_name, start_after="dir/two")
    assert [e.key for e in after] == ["z"]  # type: ignore[union-attr]
    sizes = {e.key: e.size for e in facade.list_files(bucket_name)}  # type: ignore[union-attr]
    assert sizes["dir/sub/three"] == len(b"dir/sub/three")
    assert facade.list_files(unique_bucket_name("none")) == facade.error
    assert isinstance(facade.last_error, BucketNotFound)
    assert facade.get_bucket_files(unique_bucket_name("none")) == facade.error


def test_file_info_exists_and_metadata(facade: Bucket, bucket_name: str) -> None:
    """get_file_info/file_exists/set_file_metadata read and replace user metadata."""
    facade.upload_stream(bucket_name, b"{}", "m.json", metadata={"Owner": "alice"})
    info = facade.get_file_info(bucket_name, "m.json")
    assert isinstance(info, ObjectInfo)
    assert info.metadata == {"owner": "alice"}
    assert info.size == 2
    assert info.content_type == "application/json"
    assert facade.file_exists(bucket_name, "m.json") is True
    assert facade.file_exists(bucket_name, "missing") is False
    assert facade.set_file_metadata(bucket_name, "m.json", {"owner": "bob", "team": "x"}) == facade.success
    info = facade.get_file_info(bucket_name, "m.json")
    assert info.metadata == {"owner": "bob", "team": "x"}  # type: ignore[union-attr]
    assert info.content_type == "application/json"  # type: ignore[union-attr]
    assert facade.download_stream(bucket_name, "m.json") == b"{}"
    assert facade.get_file_info(bucket_name, "missing") == facade.error
    assert facade.set_file_metadata(bucket_name, "m.json", {"big": "x" * 5000}) == facade.error
    assert "2048" in facade.last_error.message  # type: ignore[union-attr]


def test_copy_and_move(facade: Bucket, bucket_name: str, s3_store: S3Store) -> None:
    """copy_file keeps or replaces metadata; move_file copies then removes the source."""
    facade.upload_stream(bucket_name, b"payload", "src.txt", metadata={"k": "v"})
    assert facade.copy_file(bucket_name, "src.txt", "copy.txt") == facade.success
    assert s3_store.head_object(bucket_name, "copy.txt").metadata == {"k": "v"}
    assert facade.copy_file(bucket_name, "src.txt", "new.txt", metadata={"k": "w"}) == facade.success
    replaced = s3_store.head_object(bucket_name, "new.txt")
    assert replaced.metadata == {"k": "w"}
    assert replaced.content_type == "text/plain"
    other = unique_bucket_name("dst")
    s3_store.create_bucket(other)
    try:
        assert facade.move_file(bucket_name, "src.txt", "moved.txt", dest_bucket=other) == facade.success
        assert s3_store.get_object(other, "moved.txt") == b"payload"
        assert s3_store.object_exists(bucket_name, "src.txt") is False
    finally:
        s3_store.delete_bucket(other, force=True)
    assert facade.move_file(bucket_name, "src.txt", "x") == facade.error
    assert isinstance(facade.last_error, ObjectNotFound)
    assert facade.move_file(bucket_name, "copy.txt", "copy.txt") == facade.error
    assert s3_store.get_object(bucket_name, "copy.txt") == b"payload"


def test_connection_lifecycle(facade: Bucket) -> None:
    """connect/is_connected/health_check/disconnect report the real state."""
    assert facade.connect() == facade.success
    assert facade.is_connected() is True
    assert facade.health_check() is True
    assert facade.last_latency is not None and facade.last_latency > 0
    assert facade.disconnect() == facade.success
    assert facade.is_connected() is False
    assert facade.disconnect() == facade.success
    assert facade.connect() == facade.success
    assert facade.is_connected() is True
    assert isinstance(facade.get_bucket_names(), list)


def test_context_manager_disconnects(s3_config: object) -> None:
    """`with Bucket(...)` disconnects on exit."""
    with Bucket(config=s3_config) as bucket:  # type: ignore[arg-type]
        assert bucket.is_connected() is True
    assert bucket.is_connected() is False
