"""``sync`` never loses what it should keep (issue 15, items 1, 2, 5 and 17).

- Overlapping places are refused whichever store objects name them (two ``LocalStore``
  objects on one root, two ``S3Store`` objects on one bucket, and the CLI's ``local://``).
- No delete is sent on the strength of a listing that was not read to the end and found
  in order; a server that lists in another order (SeaweedFS: folder-tree order) is
  sorted, so keys like ``a!`` and ``a/b`` sync both ways.
- A source that changes during a streamed copy leaves the destination's previous good
  copy in place (no half-written object, no incomplete multipart upload).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import BucketConfig, InvalidArgument, StorageError
from backend.src.libs.bucket.base.store import ObjectInfo
from backend.src.libs.bucket.features.sync import _sorted
from backend.src.libs.bucket.features.sync import sync as _sync
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store
from tests.cli.conftest import BUCKET_BIN, local_env
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


def local_store(root: Path) -> LocalStore:
    """A local folder store rooted at ``root``."""
    return LocalStore(BucketConfig(storage_type="local", local_root=str(root)))


def contents(store: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object under ``prefix`` with its bytes (full keys)."""
    return {
        info.key: store.get_object(bucket, info.key)
        for info in store.list_objects(bucket, prefix=prefix)
        if isinstance(info, ObjectInfo)
    }


@pytest.fixture
def ceph(ceph_server: S3Server) -> Iterator[S3Store]:
    """A store on Ceph with a 5 MiB multipart threshold."""
    store = S3Store(config_for(ceph_server, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    yield store
    store.close()


@pytest.fixture
def seaweed(seaweed_server: S3Server) -> Iterator[S3Store]:
    """A store on SeaweedFS (lists keys in folder-tree order, not byte order)."""
    store = S3Store(config_for(seaweed_server))
    yield store
    store.close()


@pytest.fixture
def cleanup() -> Iterator[list[tuple[Any, str]]]:
    """``(store, bucket)`` pairs to force-delete after the test."""
    made: list[tuple[Any, str]] = []
    yield made
    for store, bucket in made:
        with contextlib.suppress(Exception):
            store.delete_bucket(bucket, force=True)


# ------------------------------------------------------------------ item 1: overlap
MEDIA = {"docs/important.txt": b"keep me", "photos/a.jpg": b"\xff\xd8jpeg", "photos/b.jpg": b"b"}


def fill(store: Any, bucket: str, objects: dict[str, bytes]) -> None:
    """Create ``bucket`` and write ``objects`` into it."""
    store.create_bucket(bucket)
    for key, data in objects.items():
        store.put_object(bucket, key, data)


@pytest.mark.parametrize(("src_prefix", "dst_prefix"), [("photos/", ""), ("", "photos/"), ("photos/", "photos/")])
def test_two_local_store_objects_on_one_root_are_one_place(
    tmp_path: Path, src_prefix: str, dst_prefix: str
) -> None:
    """Two LocalStore objects built on the same root are the same place: a sync --delete
    whose prefixes nest (either way) is refused and deletes nothing."""
    first, second = local_store(tmp_path / "root"), local_store(tmp_path / "root" / ".." / "root")
    fill(first, "media", MEDIA)
    with pytest.raises(InvalidArgument, match="overlap"):
        _sync(first, "media", second, "media", src_prefix=src_prefix, dst_prefix=dst_prefix, delete=True)
    assert contents(first, "media") == MEDIA


def test_two_s3_store_objects_on_one_bucket_are_one_place(
    ceph_server: S3Server, cleanup: list[tuple[Any, str]]
) -> None:
    """Two S3Store objects on the same endpoint and bucket overlap: refused, nothing deleted."""
    first, second = S3Store(config_for(ceph_server)), S3Store(config_for(ceph_server))
    bucket = unique_bucket_name("ovl")
    cleanup.append((first, bucket))
    fill(first, bucket, MEDIA)
    with pytest.raises(InvalidArgument, match="overlap"):
        _sync(first, bucket, second, bucket, src_prefix="photos/", dst_prefix="", delete=True)
    assert contents(second, bucket) == MEDIA


def test_store_key_prefix_counts_in_the_overlap(tmp_path: Path) -> None:
    """A store with a key prefix is compared by its full prefix: ``photos/`` under a store
    prefixed ``media-`` is inside the unprefixed store's ``media-``; disjoint prefixes pass."""
    plain = local_store(tmp_path / "root")
    prefixed = LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path / "root"), prefix="media-"))
    fill(plain, "bkt", {"media-photos/x": b"x", "other/y": b"y"})
    with pytest.raises(InvalidArgument, match="overlap"):
        _sync(prefixed, "bkt", plain, "bkt", src_prefix="photos/", dst_prefix="", delete=True)
    report = _sync(plain, "bkt", plain, "bkt", src_prefix="other/", dst_prefix="copy/", delete=True)
    assert report.ok and report.copied == 1
    assert contents(plain, "bkt") == {"media-photos/x": b"x", "other/y": b"y", "copy/y": b"y"}


def test_cli_sync_delete_into_its_own_parent_is_refused(tmp_path: Path) -> None:
    """``bucket sync --delete local://media/photos local://media`` exits non-zero naming the
    overlap, and every file of the bucket is still there."""
    store = local_store(tmp_path / "root")
    fill(store, "media", MEDIA)
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [str(BUCKET_BIN), "sync", "--delete", "local://media/photos", "local://media"],
        env=local_env(tmp_path), cwd=work, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0, done.stdout
    assert "overlap" in done.stderr
    assert contents(store, "media") == MEDIA


# ------------------------------------------------ items 2 and 17: listings and order
def tree_keys() -> dict[str, bytes]:
    """Keys whose byte order differs from SeaweedFS's folder-tree order (``a/...`` before
    ``a!...`` there), ``a!`` beside ``a/b`` included."""
    keys = {f"a/{i:04d}": b"slash %d" % i for i in range(60)}
    keys.update({f"a!{i:04d}": b"bang %d" % i for i in range(40)})
    keys.update({"a!": b"bang", "a/b": b"slash b", "a/b!": b"x", "a-b/c": b"dash", "a.b": b"dot", "b": b"b"})
    return keys


@pytest.mark.parametrize("direction", ["seaweedfs-to-ceph", "ceph-to-seaweedfs"])
def test_sync_with_delete_across_listing_orders(
    direction: str, seaweed: S3Store, ceph: S3Store, cleanup: list[tuple[Any, str]]
) -> None:
    """A source or destination that lists out of byte order (SeaweedFS) syncs with delete:
    every source key copied, only the real extras deleted, verified; a second run copies
    nothing."""
    src, dst = (seaweed, ceph) if direction == "seaweedfs-to-ceph" else (ceph, seaweed)
    sb, db = unique_bucket_name("ord"), unique_bucket_name("ord")
    cleanup += [(src, sb), (dst, db)]
    objects = tree_keys()
    fill(src, sb, objects)
    held = {"a/0001": b"stale", "a!0002": b"bang 2", "a!zzz-extra": b"e", "a/extra/x": b"e", "zz": b"e"}
    fill(dst, db, held)
    report = _sync(src, sb, dst, db, delete=True, workers=2)
    assert report.ok, (report.failed, report.problems)
    assert (report.deleted, report.verified) == (3, True)
    assert contents(dst, db) == objects
    again = _sync(src, sb, dst, db, delete=True)
    assert (again.copied, again.deleted, again.skipped, again.verified) == (0, 0, len(objects), True)


class FailingListing:
    """A real store whose listing of ``bucket`` fails after ``after`` entries."""

    def __init__(self, inner: Any, bucket: str, after: int) -> None:
        self._inner, self._bucket, self._after = inner, bucket, after
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self._inner, name)

    def list_objects(self, bucket: str, **kwargs: Any) -> Iterator[Any]:
        return self._cut(bucket, self._inner.list_objects(bucket, **kwargs))

    def list_objects_audited(self, bucket: str, **kwargs: Any) -> Iterator[Any]:
        """The audited listing sync reads from a source that has it, cut off likewise."""
        return self._cut(bucket, self._inner.list_objects_audited(bucket, **kwargs))

    def _cut(self, bucket: str, listing: Iterator[Any]) -> Iterator[Any]:
        for n, entry in enumerate(listing):
            if bucket == self._bucket and n == self._after:
                raise StorageError("listing cut off (simulated network failure)")
            yield entry


@pytest.mark.parametrize("side", ["source", "destination"])
def test_no_delete_when_a_listing_fails_midway(tmp_path: Path, side: str) -> None:
    """A listing that fails after 1,500 entries stops the run with the error and not one
    destination object is deleted, though 1,200 extras (more than one delete batch) sorted
    before the failure point."""
    store = local_store(tmp_path / "root")
    fill(store, "src", {f"k{i:05d}": b"s" for i in range(2000)})
    extras = {f"e{i:04d}": b"x" for i in range(1200)}  # sort before every k...
    fill(store, "dst", {**extras, **{f"k{i:05d}": b"s" for i in range(2000)}})
    failing = FailingListing(store, "src" if side == "source" else "dst", after=1500)
    src, dst = (failing, store) if side == "source" else (store, failing)
    with pytest.raises(StorageError, match="cut off"):
        _sync(src, "src", dst, "dst", delete=True)
    assert failing.calls["delete_objects"] == 0
    assert len(contents(store, "dst")) == 3200


def test_external_sort_spills_runs_and_merges_them_in_byte_order() -> None:
    """The listing sort used for stores not trusted to list in byte order returns byte
    order when its input needs several spilled runs (run of 7 over 100 entries)."""
    keys = [f"a/{i}" for i in range(50)] + [f"a!{i}" for i in range(30)] + ["é", "z", "a", "A/b"] * 5
    keys = list(dict.fromkeys(keys))
    random.Random(7).shuffle(keys)
    entries = [(k.encode(), k, ObjectInfo("b", k, 1)) for k in keys]
    out = [relative for _, relative, _ in _sorted(iter(entries), run=7)]
    assert out == sorted(keys, key=lambda k: k.encode("utf-8"))


# ---------------------------------------------------- item 5: source changes mid-copy
class ChangingSource:
    """A real store where another writer replaces ``key`` when the sync opens it for the
    ``change_at``-th time: the streamed copy, after the SHA-256 pass (which, against a
    destination whose ETag settles nothing, follows one more read for the comparison)."""

    def __init__(self, inner: Any, key: str, new: bytes, *, change_at: int) -> None:
        self._inner, self._key, self._new, self._change_at = inner, key, new, change_at
        self.opened = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def open_object(self, bucket: str, key: str, **kwargs: Any) -> Any:
        if key == self._key:
            self.opened += 1
            if self.opened == self._change_at:
                self._inner.put_object(bucket, key, self._new)
        return self._inner.open_object(bucket, key, **kwargs)


@pytest.mark.parametrize("destination", ["ceph", "local"])
def test_failed_streamed_copy_keeps_the_destinations_good_copy(
    destination: str, tmp_path: Path, ceph: S3Store, cleanup: list[tuple[Any, str]]
) -> None:
    """A source object above the buffer limit that changes during its streamed copy fails
    that key, and the destination still holds its previous good version, byte for byte,
    with no incomplete multipart upload left on S3."""
    source = local_store(tmp_path / "src")
    dst: Any = ceph if destination == "ceph" else local_store(tmp_path / "dst")
    sb, db = unique_bucket_name("chg"), unique_bucket_name("chg")
    cleanup.append((dst, db))
    v1, v2, v3 = (os.urandom(6 * MiB + 7) for _ in range(3))
    fill(source, sb, {"big.bin": v1, "small.txt": b"s"})
    assert _sync(source, sb, dst, db, buffer_limit=MiB).ok
    source.put_object(sb, "big.bin", io.BytesIO(v2))
    # Ceph's multipart ETag cannot be compared with an MD5: the comparison reads the source once
    change_at = 3 if destination == "ceph" else 2
    changing = ChangingSource(source, "big.bin", v3, change_at=change_at)
    report = _sync(changing, sb, dst, db, buffer_limit=MiB, verify="off")
    assert changing.opened == change_at
    assert report.failed_count == 1 and report.failed[0].key == "big.bin"
    assert "changed during the copy" in report.failed[0].reason
    assert dst.get_object(db, "big.bin") == v1
    if destination == "ceph":
        assert ceph.client.list_multipart_uploads(Bucket=db).get("Uploads", []) == []
