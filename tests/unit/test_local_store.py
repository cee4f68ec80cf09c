"""LocalStore-only behaviours: key encoding and escapes, atomic writes, layout, order."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.src.libs.bucket import (
    BucketConfig,
    BucketNotFound,
    ConnectionFailed,
    IntegrityError,
    InvalidArgument,
    NotSupported,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    PermissionDenied,
)
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.local.store import (
    LocalStore,
    decode_segment,
    encode_segment,
)

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "unit-bucket"


def make_store(root: Path, **overrides: str) -> LocalStore:
    return LocalStore(BucketConfig(storage_type="local", local_root=str(root), **overrides))


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    s = make_store(tmp_path / "root")
    s.create_bucket(BUCKET)
    return s


def keys(store: LocalStore, **kwargs: object) -> list[str]:
    return [e.key if isinstance(e, ObjectInfo) else e.prefix for e in store.list_objects(BUCKET, **kwargs)]  # type: ignore[arg-type]


def test_is_an_object_store(store: LocalStore) -> None:
    """LocalStore satisfies the runtime-checkable ObjectStore protocol."""
    assert isinstance(store, ObjectStore)


# ------------------------------------------------------------- key escapes
@pytest.mark.parametrize(
    "key",
    ["/etc/passwd", "../x", "a/../../x", "..", "a/..", "a\\b", "..\\..\\x", "tab\there",
     "new\nline", "del\x7f", "nul\x00", "esc\x1b[0m", "/"],
)
def test_escaping_keys_refused(store: LocalStore, key: str) -> None:
    """Absolute paths, '..' segments, backslashes, NUL and control characters raise InvalidArgument naming the key."""
    with pytest.raises(InvalidArgument) as err:
        store.put_object(BUCKET, key, b"x")
    assert repr(key) in str(err.value) or "NUL" in str(err.value)
    with pytest.raises(InvalidArgument):
        store.get_object(BUCKET, key)
    with pytest.raises(InvalidArgument):
        store.object_path(BUCKET, key)
    assert list(store.root.parent.rglob("*x*")) == []


def test_store_prefix_is_checked_and_applied(tmp_path: Path) -> None:
    """config.prefix is a folder prepended on disk (with or without its '/'), hidden from
    keys, and cannot smuggle '..' (refused by the settings, before any store exists)."""
    for prefix in ("tenant/", "tenant"):
        s = make_store(tmp_path, prefix=prefix)
        s.create_bucket(BUCKET, exist_ok=True)
        s.put_object(BUCKET, "a/b", b"x")
        assert s.object_path(BUCKET, "a/b") == tmp_path / BUCKET / "tenant" / "a" / "b~"
        assert keys(s) == ["a/b"]
    with pytest.raises(InvalidArgument, match="must be a folder path"):
        make_store(tmp_path, prefix="../")


@settings(max_examples=400, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_no_key_resolves_outside_its_bucket(key: str) -> None:
    """Property: any key is refused (InvalidArgument) or maps to a path inside its bucket
    folder (BUCKET_PORTABLE_KEYS=false, so that empty and '.' segments reach the encoding)."""
    root = Path("/nonexistent/bucket-root")
    s = make_store(root, portable_keys=False)  # type: ignore[arg-type]
    try:
        path = s.object_path(BUCKET, key)
    except InvalidArgument:
        return
    bucket_dir = os.path.realpath(root / BUCKET)
    resolved = os.path.realpath(path)
    assert os.path.commonpath([bucket_dir, resolved]) == bucket_dir
    assert resolved != bucket_dir
    relative = Path(resolved).relative_to(bucket_dir)
    assert all(not part.startswith(".") for part in relative.parts)
    assert relative.name.endswith("~")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_segment_encoding_round_trips(segment: str) -> None:
    """Property: decode(encode(s)) == s, and the encoded name has no '/', '~', '\\' and no leading '.'."""
    if "/" in segment:
        segment = segment.replace("/", "")
    try:
        segment.encode("utf-8")
    except UnicodeEncodeError:
        return
    name = encode_segment(segment)
    assert decode_segment(name) == segment
    assert not {"/", "~", "\\"} & set(name)
    assert not name.startswith(".")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab/.~%-é", min_size=1, max_size=6), min_size=2, max_size=2, unique=True))
def test_distinct_keys_get_distinct_paths(pair: list[str]) -> None:
    """Property: two different valid keys never share a file."""
    s = make_store(Path("/nonexistent"))
    paths = []
    for key in pair:
        try:
            paths.append(s.object_path(BUCKET, key))
        except InvalidArgument:
            return
    assert paths[0] != paths[1]


def test_long_segment_refused(store: LocalStore) -> None:
    """A segment longer than the file-name limit once encoded raises InvalidArgument (KeyTooLongError)."""
    with pytest.raises(InvalidArgument) as err:
        store.put_object(BUCKET, "d/" + "é" * 60, b"x")
    assert err.value.code == "KeyTooLongError"
    store.put_object(BUCKET, "d/" + "e" * 250, b"ok")
    assert store.get_object(BUCKET, "d/" + "e" * 250) == b"ok"


# ------------------------------------------------------------------ layout
def test_file_and_folder_keys_coexist(tmp_path: Path) -> None:
    """Keys 'a', 'a/', 'a/b' and 'a//c' coexist (with BUCKET_PORTABLE_KEYS=false: the
    default refuses 'a/' and 'a//c'); deleting one leaves the others."""
    store = make_store(tmp_path / "root", portable_keys=False)  # type: ignore[arg-type]
    store.create_bucket(BUCKET)
    for key in ["a", "a/", "a/b", "a//c"]:
        store.put_object(BUCKET, key, key.encode())
    for key in ["a", "a/", "a/b", "a//c"]:
        assert store.get_object(BUCKET, key) == key.encode()
    assert keys(store) == ["a", "a/", "a//c", "a/b"]
    store.delete_object(BUCKET, "a/b")
    store.delete_object(BUCKET, "a//c")
    assert keys(store) == ["a", "a/"]
    store.delete_object(BUCKET, "a/")
    assert keys(store) == ["a"]
    assert sorted(p.name for p in (store.root / BUCKET).iterdir()) == [".bucket.json", "a~"]


def test_object_file_starts_with_the_bytes(store: LocalStore) -> None:
    """The object's file holds its bytes from offset 0 (then the trailer)."""
    store.put_object(BUCKET, "dir/file.txt", b"hello")
    raw = store.object_path(BUCKET, "dir/file.txt").read_bytes()
    assert raw.startswith(b"hello") and raw.endswith(b"bucket1\n")


def test_damaged_trailer_raises_integrity_error(store: LocalStore) -> None:
    """A file whose trailer is damaged raises IntegrityError on read, and listing skips it."""
    store.put_object(BUCKET, "bad", b"data")
    store.put_object(BUCKET, "good", b"data")
    path = store.object_path(BUCKET, "bad")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(IntegrityError):
        store.get_object(BUCKET, "bad")
    assert keys(store) == ["good"]


def test_utf8_byte_order_differs_from_utf16(store: LocalStore) -> None:
    """Listing is UTF-8 byte order: U+FF5E sorts before U+1F600 (UTF-16 order would reverse them)."""
    ordered = ["A", "a", "a/b", "é", "\uff5e", "\U0001f600"]
    for key in reversed(ordered):
        store.put_object(BUCKET, key, b"")
    assert keys(store) == sorted(ordered, key=lambda k: k.encode("utf-8")) == ordered


def test_listing_is_lazy(store: LocalStore) -> None:
    """list_objects walks folders lazily: a key added to a folder not yet read is still listed."""
    for i in range(50):
        store.put_object(BUCKET, f"d{i % 5}/k{i:02d}", b"")
    listing = store.list_objects(BUCKET)
    first = next(listing)
    assert first.key == "d0/k00"  # type: ignore[union-attr]
    store.put_object(BUCKET, "d4/zz-late", b"")
    rest = [e.key for e in listing]  # type: ignore[union-attr]
    assert len(rest) == 50 and rest[-1] == "d4/zz-late"


def test_temp_files_are_invisible(store: LocalStore) -> None:
    """Leftover '.*.tmp' files (a killed writer) are not listed and do not block a delete."""
    store.put_object(BUCKET, "d/k", b"x")
    folder = store.object_path(BUCKET, "d/k").parent
    (folder / ".dead.tmp").write_bytes(b"partial")
    assert keys(store) == ["d/k"]
    store.delete_object(BUCKET, "d/k")
    assert keys(store) == []
    store.delete_bucket(BUCKET)
    assert not store.bucket_exists(BUCKET)


# -------------------------------------------------------------- atomicity
WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from backend.src.libs.bucket import BucketConfig
    from backend.src.libs.bucket.local.store import LocalStore

    store = LocalStore(BucketConfig(storage_type="local", local_root=sys.argv[2]))

    def chunks():
        yield b"N" * 65536
        sys.stdout.write("writing\\n")
        sys.stdout.flush()
        while True:
            time.sleep(0.05)
            yield b"N" * 65536

    class Slow:
        def __init__(self):
            self._it = chunks()
        def read(self, n=-1):
            return next(self._it)
        def seekable(self):
            return False

    from backend.src.libs.bucket.base.options import WriteOptions

    store.put_object(
        "unit-bucket", sys.argv[3], Slow(), options=WriteOptions(metadata={"gen": "new"})
    )
    """
)


def _kill_writer_mid_write(root: Path, key: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ROOT), str(root), key],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "writing\n", proc.stderr.read() if proc.stderr else line
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_killed_writer_leaves_old_object(tmp_path: Path) -> None:
    """A writer killed with SIGKILL mid-write leaves the old bytes, ETag and metadata."""
    root = tmp_path / "root"
    store = make_store(root)
    store.create_bucket(BUCKET)
    old = b"old contents"
    store.put_object(BUCKET, "dir/obj.bin", old, options=WriteOptions(metadata={"gen": "old"}))
    _kill_writer_mid_write(root, "dir/obj.bin")
    info = store.head_object(BUCKET, "dir/obj.bin")
    assert store.get_object(BUCKET, "dir/obj.bin") == old
    assert (info.size, info.etag, dict(info.metadata)) == (len(old), hashlib.md5(old).hexdigest(), {"gen": "old"})
    assert keys(store) == ["dir/obj.bin"]
    leftovers = [p.name for p in store.object_path(BUCKET, "dir/obj.bin").parent.iterdir()]
    assert "obj.bin~" in leftovers and any(n.endswith(".tmp") for n in leftovers)


def test_killed_writer_leaves_no_object(tmp_path: Path) -> None:
    """A writer killed mid-write of a new key leaves no object at all."""
    root = tmp_path / "root"
    store = make_store(root)
    store.create_bucket(BUCKET)
    _kill_writer_mid_write(root, "fresh/obj.bin")
    with pytest.raises(ObjectNotFound):
        store.get_object(BUCKET, "fresh/obj.bin")
    assert keys(store) == []
    assert store.object_exists(BUCKET, "fresh/obj.bin") is False


def test_failed_stream_leaves_old_object(store: LocalStore) -> None:
    """A stream raising mid-put leaves the old object and no temporary file."""
    store.put_object(BUCKET, "k", b"old")

    class Broken:
        def __init__(self) -> None:
            self.calls = 0

        def read(self, n: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError("disk on fire")
            return b"new"

        def seekable(self) -> bool:
            return False

    with pytest.raises(Exception, match="disk on fire"):
        store.put_object(BUCKET, "k", Broken())  # type: ignore[arg-type]
    assert store.get_object(BUCKET, "k") == b"old"
    assert [p.name for p in (store.root / BUCKET).iterdir() if p.name.endswith(".tmp")] == []


def test_concurrent_writers_and_readers(store: LocalStore) -> None:
    """Threads overwriting one key while others read: every read is one whole version with its ETag."""
    versions = [bytes([65 + i]) * (1000 * (i + 1)) for i in range(6)]
    store.put_object(BUCKET, "hot", versions[0])
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        try:
            for i in range(30):
                store.put_object(BUCKET, "hot", versions[(n + i) % len(versions)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                data = store.get_object(BUCKET, "hot")
                assert data in versions
                with store.open_object(BUCKET, "hot") as stream:
                    assert stream.read() in versions
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    info = store.head_object(BUCKET, "hot")
    assert info.etag == hashlib.md5(store.get_object(BUCKET, "hot")).hexdigest()


def test_concurrent_put_and_delete_in_one_folder(store: LocalStore) -> None:
    """Puts racing deletes that prune the same folder never fail."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(40):
                store.put_object(BUCKET, f"deep/shared/{n}-{i}", b"x")
                store.delete_object(BUCKET, f"deep/shared/{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert keys(store) == []


# -------------------------------------------------------- other behaviours
def test_open_object_is_seekable_and_bounded(store: LocalStore) -> None:
    """open_object's stream seeks within the bytes and never shows the trailer."""
    store.put_object(BUCKET, "s", b"0123456789")
    with store.open_object(BUCKET, "s") as stream:
        assert stream.read(3) == b"012"
        stream.seek(-2, os.SEEK_END)
        assert stream.read() == b"89"
        stream.seek(0)
        assert stream.read() == b"0123456789"
        assert stream.read() == b""
        # a whence it does not know (SEEK_DATA: BufferedReader passes it through) is an
        # io.UnsupportedOperation (a ValueError and an OSError), not a KeyError
        with pytest.raises(io.UnsupportedOperation, match="whence 3"):
            stream.seek(0, os.SEEK_DATA)
        assert stream.tell() == 10


def test_reader_keeps_its_version(store: LocalStore) -> None:
    """A stream opened before an overwrite or delete keeps reading the version it opened."""
    store.put_object(BUCKET, "v", b"first version")
    stream = store.open_object(BUCKET, "v")
    store.put_object(BUCKET, "v", b"second")
    store.delete_object(BUCKET, "v")
    with stream:
        assert stream.read() == b"first version"


def test_range_on_empty_object(store: LocalStore) -> None:
    """Any range on an empty object raises InvalidArgument (InvalidRange); the whole object is b''."""
    store.put_object(BUCKET, "empty", b"")
    assert store.get_object(BUCKET, "empty") == b""
    with pytest.raises(InvalidArgument) as err:
        store.get_object(BUCKET, "empty", start=0)
    assert err.value.code == "InvalidRange"


def test_presign_not_supported(store: LocalStore) -> None:
    """presign_url raises NotSupported saying a folder has no URL."""
    with pytest.raises(NotSupported, match="local store"):
        store.presign_url(BUCKET, "k")
    with pytest.raises(NotSupported):
        store.presign_url(BUCKET, "k", method="PUT", expiration=60, download_name="x.txt")


def test_ping_creates_and_checks_root(tmp_path: Path) -> None:
    """ping creates a missing root and returns a latency; an unusable root raises."""
    s = make_store(tmp_path / "new-root")
    assert s.ping() >= 0
    assert (tmp_path / "new-root").is_dir()
    assert list((tmp_path / "new-root").iterdir()) == []
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises((ConnectionFailed, PermissionDenied)):
        make_store(blocker).ping()


def test_bucket_operations_on_missing_root(tmp_path: Path) -> None:
    """Before any bucket exists: list_buckets is empty, object calls raise BucketNotFound."""
    s = make_store(tmp_path / "absent")
    assert s.list_buckets() == []
    assert s.bucket_exists(BUCKET) is False
    with pytest.raises(BucketNotFound):
        s.put_object(BUCKET, "k", b"x")
    assert not (tmp_path / "absent").exists()


def test_list_buckets_ignores_other_folders(store: LocalStore) -> None:
    """list_buckets lists folders with valid bucket names only, by name, with a creation time."""
    (store.root / "Not_A_Bucket").mkdir()
    (store.root / "stray-file").write_bytes(b"")
    store.create_bucket("another-bucket")
    buckets = store.list_buckets()
    assert [b.name for b in buckets] == ["another-bucket", BUCKET]
    assert all(b.created is not None for b in buckets)


def test_close_is_idempotent(store: LocalStore) -> None:
    """close() may be called twice and the store keeps working (no connection to lose)."""
    store.close()
    store.close()
    store.put_object(BUCKET, "k", b"x")
    assert store.get_object(BUCKET, "k") == b"x"


def test_ensure_bucket(tmp_path: Path) -> None:
    """ensure_bucket creates a missing bucket (report: created), leaves an existing one
    (report: exists), refuses features."""
    s = make_store(tmp_path)
    assert s.ensure_bucket("ens-bucket").outcome("bucket") == "created"
    again = s.ensure_bucket("ens-bucket")
    assert again.outcome("bucket") == "exists" and not again.created and again.ok
    with pytest.raises(NotSupported, match="versioning"):
        s.ensure_bucket("other-bucket", versioning=True)
    assert s.bucket_exists("other-bucket") is False
    with pytest.raises(NotSupported):
        s.presign_post("ens-bucket", "k")


def test_a_root_that_is_a_file_holds_no_bucket(tmp_path: Path) -> None:
    """With BUCKET_LOCAL_ROOT naming a file, delete_bucket says BucketNotFound (404), as
    bucket_exists (False) and every other bucket call do; it raised a StorageError
    (ENOTDIR). The file is left as it was."""
    root = tmp_path / "a-file"
    root.write_bytes(b"not a folder")
    store = make_store(root)
    assert store.bucket_exists(BUCKET) is False
    for call in (
        lambda: store.delete_bucket(BUCKET),
        lambda: store.delete_bucket(BUCKET, force=True),
        lambda: store.get_object(BUCKET, "k"),
    ):
        with pytest.raises(BucketNotFound) as caught:
            call()
        assert caught.value.status == 404
    assert root.read_bytes() == b"not a folder"
