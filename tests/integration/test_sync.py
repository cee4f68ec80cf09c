"""``sync``: local -> S3, S3 -> local, S3 -> S3 on the real Ceph server and a local folder.

Covers copying (small objects in one PUT, a multipart-sized object streamed), dry run,
resume after an interruption (counting the store calls of the second run), recopying a
changed object, deleting extras, per-object failures and the final verification.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import BucketConfig, BucketNotFound, InvalidArgument
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.features.folder_sync import FolderSyncOptions, upload_folder
from backend.src.libs.bucket.features.sync import SyncEvent, SyncReport
from backend.src.libs.bucket.features.sync import sync as _sync
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
# 6 MiB with a 5 MiB multipart threshold: S3 stores it as a 2-part upload, so its ETag
# is "<md5>-2" and not comparable with the local store's MD5.
BIG = os.urandom(6 * MiB + 123)
SMALL = {
    "a.txt": b"alpha\n",
    "dir/b.bin": os.urandom(4096),
    "dir/sub/c.json": b'{"c": 3}',
    "empty": b"",
    "\u00e9t\u00e9/caf\u00e9.txt": "caf\u00e9".encode(),
    "z/last": b"z" * 100,
}


def sync(*args: Any, **kwargs: Any) -> SyncReport:
    """``sync`` with a 1 MiB ``buffer_limit``, so ``BIG`` takes the streaming path."""
    kwargs.setdefault("buffer_limit", MiB)
    return _sync(*args, **kwargs)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class CountingStore:
    """Wraps a store and counts each method called (``calls["put_object"]``...).

    ``fail_after_puts`` makes the N+1th ``put_object`` raise ``KeyboardInterrupt``, as a
    process killed in the middle of a sync would stop.
    """

    def __init__(self, inner: Any, *, fail_after_puts: int | None = None) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()
        self._fail_after = fail_after_puts

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if name == "put_object" and self._fail_after is not None and self.calls[name] > self._fail_after:
                raise KeyboardInterrupt("simulated kill")
            return target(*args, **kwargs)

        return call


class ClobberingStore(CountingStore):
    """A destination where another writer replaces ``victim`` with ``replacement`` right
    after sync writes it (default: 6 bytes, the size of "alpha\\n")."""

    def __init__(self, inner: Any, victim: str, replacement: bytes = b"X" * 6) -> None:
        super().__init__(inner)
        self._victim = victim
        self._replacement = replacement

    def put_object(self, bucket: str, key: str, data: Any, **kwargs: Any) -> Any:
        result = self._inner.put_object(bucket, key, data, **kwargs)
        if key == self._victim:
            self._inner.put_object(bucket, key, self._replacement)
        return result


@pytest.fixture
def s3(ceph_server: S3Server) -> Iterator[S3Store]:
    """An S3 store on Ceph with a 5 MiB multipart threshold (so ``BIG`` goes multipart)."""
    store = S3Store(config_for(ceph_server, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    yield store
    store.close()


@pytest.fixture
def local(tmp_path: Path) -> LocalStore:
    """A local folder store in a temporary folder."""
    return LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path / "local")))


@pytest.fixture
def buckets(s3: S3Store) -> Iterator[list[str]]:
    """Names for S3 buckets; every one created during the test is force-deleted after it."""
    names = [unique_bucket_name("sync") for _ in range(3)]
    yield names
    for name in names:
        with contextlib.suppress(Exception):
            s3.delete_bucket(name, force=True)


def fill(store: Any, bucket: str, *, prefix: str = "", big: bool = True) -> dict[str, bytes]:
    """Create ``bucket`` and write the test objects under ``prefix``; returns key -> bytes."""
    store.create_bucket(bucket)
    content = {prefix + k: v for k, v in SMALL.items()}
    if big:
        content[prefix + "big/blob.bin"] = BIG
    for key, data in content.items():
        # a stream above the 5 MiB threshold goes up to S3 as a multipart upload
        body = io.BytesIO(data) if len(data) > MiB else data
        store.put_object(bucket, key, body, options=WriteOptions(metadata={"origin": "test"}))
    return content


def contents(store: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object under ``prefix`` (keys relative to it) with its bytes."""
    return {
        info.key[len(prefix):]: store.get_object(bucket, info.key)
        for info in store.list_objects(bucket, prefix=prefix)
    }


def test_local_to_s3_copies_everything_and_verifies(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """local -> S3 copies every object byte for byte (the big one streamed as multipart),
    keeps content type and user metadata, stores sha256/source-etag, verifies, and
    creates the destination bucket."""
    source = fill(local, "src-bucket")
    report = sync(local, "src-bucket", s3, buckets[0])
    assert report.ok, report
    assert (report.copied, report.skipped, report.deleted, report.failed_count) == (7, 0, 0, 0)
    assert report.bytes_copied == sum(len(v) for v in source.values())
    assert report.source_objects == 7 and report.destination_objects == 7
    assert report.destination_bytes == report.source_bytes == report.bytes_copied
    assert report.verified is True
    assert contents(s3, buckets[0]) == source
    head = s3.head_object(buckets[0], "big/blob.bin")
    assert head.etag is not None and head.etag.endswith("-2"), "the big object must be multipart"
    assert head.metadata["sha256"] == sha(BIG)
    assert head.metadata["origin"] == "test"
    assert head.metadata["source-etag"] == local.head_object("src-bucket", "big/blob.bin").etag
    assert s3.head_object(buckets[0], "dir/sub/c.json").content_type == "application/json"


def test_s3_to_local_backup_is_byte_identical(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """S3 -> local copies every object (the multipart one with a SHA-256 pre-pass),
    verifies, and a second run skips all 7 without reading any object."""
    source = fill(s3, buckets[0])
    assert str(s3.head_object(buckets[0], "big/blob.bin").etag).endswith("-2")
    report = sync(s3, buckets[0], local, "backup")
    assert report.ok and report.copied == 7 and report.verified is True
    assert contents(local, "backup") == source
    assert local.head_object("backup", "big/blob.bin").metadata["sha256"] == sha(BIG)
    counting_src = CountingStore(s3)
    again = sync(counting_src, buckets[0], local, "backup", verify="off")
    assert (again.copied, again.skipped) == (0, 7)
    assert counting_src.calls["get_object"] == counting_src.calls["open_object"] == 0


def test_s3_to_s3_between_buckets_with_prefixes(s3: S3Store, buckets: list[str]) -> None:
    """S3 -> S3 (default 8 MiB buffer: every object in one GET and one PUT) copies only
    the source prefix, maps it onto the destination prefix, and leaves objects outside
    both prefixes alone."""
    fill(s3, buckets[0], prefix="photos/")
    s3.put_object(buckets[0], "other/x", b"outside the prefix")
    s3.create_bucket(buckets[1])
    s3.put_object(buckets[1], "keep/me", b"unrelated")
    report = _sync(s3, buckets[0], s3, buckets[1], src_prefix="photos/", dst_prefix="archive/2025/")
    assert report.ok and report.copied == 7 and report.verified is True
    assert contents(s3, buckets[1], "archive/2025/") == contents(s3, buckets[0], "photos/")
    keys = sorted(o.key for o in s3.list_objects(buckets[1]))
    assert "keep/me" in keys and not any(k.startswith("other/") for k in keys)
    assert len(keys) == 8


def test_dry_run_writes_nothing(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """A dry run reports what it would copy and delete, creates no bucket and writes no
    object; against an existing destination it changes nothing there either."""
    source = fill(local, "src-bucket", big=False)
    events: list[SyncEvent] = []
    report = sync(local, "src-bucket", s3, buckets[0], dry_run=True, on_event=events.append)
    assert report.dry_run and report.copied == 6 and report.verified is None
    assert report.bytes_copied == sum(len(v) for v in source.values())
    assert sorted(e.key for e in events if e.action == "copy") == sorted(SMALL)
    assert not s3.bucket_exists(buckets[0])

    s3.create_bucket(buckets[0])
    s3.put_object(buckets[0], "a.txt", b"stale")
    s3.put_object(buckets[0], "extra.txt", b"not in the source")
    counting = CountingStore(s3)
    report = sync(local, "src-bucket", counting, buckets[0], dry_run=True, delete=True)
    assert (report.copied, report.deleted) == (6, 1)
    assert counting.calls["put_object"] == counting.calls["delete_objects"] == 0
    assert contents(s3, buckets[0]) == {"a.txt": b"stale", "extra.txt": b"not in the source"}


def test_resume_after_interruption_copies_only_the_rest(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """A sync killed after 3 writes leaves those 3 objects; the next run copies only the
    4 left (4 puts), and a third run copies 0 with no put, get or open at all."""
    source = fill(local, "src-bucket")
    killer = CountingStore(s3, fail_after_puts=3)
    with pytest.raises(KeyboardInterrupt):
        sync(local, "src-bucket", killer, buckets[0], workers=1)
    assert len(list(s3.list_objects(buckets[0]))) == 3

    src, dst = CountingStore(local), CountingStore(s3)
    second = sync(src, "src-bucket", dst, buckets[0], verify="off")
    assert (second.copied, second.skipped) == (4, 3)
    assert dst.calls["put_object"] == 4
    assert contents(s3, buckets[0]) == source

    src, dst = CountingStore(local), CountingStore(s3)
    third = sync(src, "src-bucket", dst, buckets[0], verify="off")
    assert (third.copied, third.skipped, third.bytes_copied) == (0, 7, 0)
    assert dst.calls["put_object"] == 0
    assert src.calls["get_object"] == src.calls["open_object"] == src.calls["head_object"] == 0
    # only the big object (multipart ETag on S3) costs one HEAD to read its sha256 marker
    assert dst.calls["head_object"] == 1
    # the local source is listed audited (ReportsUnreadable), the destination plainly
    assert dst.calls["list_objects"] == src.calls["list_objects_audited"] == 1


def test_changed_object_is_recopied(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """After a source object changes (same size, other bytes; and the big one too), the
    next run copies exactly those two and the destination holds the new bytes."""
    fill(local, "src-bucket")
    assert sync(local, "src-bucket", s3, buckets[0]).copied == 7
    local.put_object("src-bucket", "a.txt", b"ALPHA\n")
    new_big = BIG[:-1] + bytes([BIG[-1] ^ 0xFF])
    local.put_object("src-bucket", "big/blob.bin", new_big)
    events: list[SyncEvent] = []
    report = sync(local, "src-bucket", s3, buckets[0], on_event=events.append)
    assert report.ok and (report.copied, report.skipped) == (2, 5)
    assert sorted(e.key for e in events if e.action == "copy") == ["a.txt", "big/blob.bin"]
    assert s3.get_object(buckets[0], "a.txt") == b"ALPHA\n"
    assert s3.get_object(buckets[0], "big/blob.bin") == new_big
    assert s3.head_object(buckets[0], "big/blob.bin").metadata["sha256"] == sha(new_big)


def test_delete_removes_extras_only_when_asked(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """Destination keys the source lacks are counted as extra and kept by default, and
    deleted with ``delete=True``; the verification then finds both sides equal."""
    fill(local, "src-bucket", big=False)
    s3.create_bucket(buckets[0])
    for key in ("0-first", "dir/zz-extra", "zzz"):
        s3.put_object(buckets[0], key, b"extra")
    kept = sync(local, "src-bucket", s3, buckets[0])
    assert kept.ok and (kept.copied, kept.extra, kept.deleted) == (6, 3, 0)
    assert kept.destination_objects == 9
    removed = sync(local, "src-bucket", s3, buckets[0], delete=True)
    assert removed.ok and (removed.copied, removed.skipped, removed.deleted) == (0, 6, 3)
    assert sorted(contents(s3, buckets[0])) == sorted(SMALL)
    assert removed.destination_objects == 6


def test_verification_detects_a_clobbered_object(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """When another writer replaces an object right after sync wrote it, the copy
    itself succeeds but the verification reports it: verified is False, report.ok is
    False, and the problem names the key."""
    fill(local, "src-bucket", big=False)
    report = sync(local, "src-bucket", ClobberingStore(s3, "a.txt"), buckets[0])
    assert report.copied == 6 and report.failed_count == 0
    assert report.verified is False and not report.ok
    assert [p.key for p in report.problems] == ["a.txt"]
    assert "differs" in report.problems[0].reason
    # the next run repairs it
    assert sync(local, "src-bucket", s3, buckets[0]).verified is True
    assert s3.get_object(buckets[0], "a.txt") == b"alpha\n"


@pytest.mark.parametrize("kept", [0, 1000])
def test_folder_upload_verification_reports_a_clobbered_object(
    s3: S3Store, buckets: list[str], tmp_path: Path, kept: int
) -> None:
    """A folder upload whose object another writer replaced right after it was written is
    not verified, however many failures are kept: with ``max_failures_kept=0`` one
    problem still says that something differed (before, ``verified`` was True)."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"alpha\n")
    (folder / "b.txt").write_bytes(b"beta\n")
    options = FolderSyncOptions(max_failures_kept=kept)
    clobbering = ClobberingStore(s3, "a.txt", b"clobbered by another writer")
    report = upload_folder(folder, clobbering, buckets[0], options=options)
    assert report.copied == 2 and report.failed_count == 0
    assert report.verified is False and not report.ok
    expected = ["a.txt"] if kept else [""]
    assert [p.key for p in report.problems] == expected
    if not kept:
        assert report.problems[0].reason == "differences found (none kept)"


@pytest.mark.parametrize("dry_run", [False, True])
def test_folder_sync_copy_events_say_why(
    s3: S3Store, buckets: list[str], tmp_path: Path, dry_run: bool
) -> None:
    """A folder sync's ``copy`` events carry why the path is copied, as the store sync's
    do (``SyncEvent.reason``: missing, or what differs), in a dry run too; before, every
    copy said "copied" (or "dry run")."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "new.txt").write_bytes(b"new\n")
    (folder / "grown.txt").write_bytes(b"grown, now longer\n")
    s3.create_bucket(buckets[0])
    s3.put_object(buckets[0], "grown.txt", b"short\n")
    events: list[SyncEvent] = []
    options = FolderSyncOptions(dry_run=dry_run, on_event=events.append)
    report = upload_folder(folder, s3, buckets[0], options=options)
    assert report.copied == 2
    reasons = {e.key: e.reason for e in events if e.action == "copy"}
    assert reasons == {
        "new.txt": "missing at the destination",
        "grown.txt": "size differs (18 != 6 bytes)",
    }


def test_full_verification_hashes_both_sides(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """``verify="full"`` reads every object on both sides (one open per object and side)
    and passes on an identical copy."""
    fill(local, "src-bucket")
    sync(local, "src-bucket", s3, buckets[0])
    src, dst = CountingStore(local), CountingStore(s3)
    report = sync(src, "src-bucket", dst, buckets[0], verify="full")
    assert report.verified is True and report.copied == 0
    assert src.calls["open_object"] == dst.calls["open_object"] == 7


def test_unstorable_key_fails_alone(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """A key another client wrote that the stores refuse (a ``..`` segment: the S3 store
    with BUCKET_PORTABLE_KEYS on, the local store always) is reported as failed with the
    reason while every other object is copied; report.ok is False."""
    fill(s3, buckets[0], big=False)
    s3.client.put_object(Bucket=buckets[0], Key="bad/../key", Body=b"S3 accepts this key")
    report = sync(s3, buckets[0], local, "backup")
    assert report.copied == 6 and report.failed_count == 1 and not report.ok
    assert report.failed[0].key == "bad/../key" and "key" in report.failed[0].reason
    assert sorted(contents(local, "backup")) == sorted(SMALL)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("verify", "some", "verify must be 'off', 'quick' or 'full', not 'some'"),
        ("workers", 0, "workers must be a positive integer, not 0"),
        ("buffer_limit", -1, "buffer_limit must be a non-negative integer, not -1"),
        ("max_failures_kept", -1, "max_failures_kept must be a non-negative integer, not -1"),
        ("max_failures_kept", True, "max_failures_kept must be a non-negative integer, not True"),
    ],
)
def test_bad_options_are_refused_naming_the_option(
    local: LocalStore, option: str, value: object, message: str
) -> None:
    """Each bad option raises InvalidArgument naming it, before the destination bucket is
    made (a negative max_failures_kept was taken, and kept no failure)."""
    fill(local, "src-bucket", big=False)
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        sync(local, "src-bucket", local, "dst-bucket", **{option: value})
    assert not local.bucket_exists("dst-bucket")


def test_bad_arguments_and_missing_buckets(local: LocalStore, s3: S3Store, buckets: list[str]) -> None:
    """Overlapping prefixes in one bucket, a missing source bucket, or a missing
    destination with create_bucket=False raise before anything is written."""
    fill(local, "src-bucket", big=False)
    with pytest.raises(InvalidArgument, match="overlap"):
        sync(local, "src-bucket", local, "src-bucket", src_prefix="a/", dst_prefix="a/b/")
    with pytest.raises(BucketNotFound):
        sync(s3, buckets[1], local, "backup")
    with pytest.raises(BucketNotFound):
        sync(local, "src-bucket", s3, buckets[2], create_bucket=False)
    assert not s3.bucket_exists(buckets[2])
