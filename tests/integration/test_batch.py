"""Many-object operations on the real S3 server and the local store: order, errors, directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.src.libs.bucket import Bucket, InvalidArgument, ObjectNotFound
from backend.src.libs.bucket.features import batch
from tests.conftest import StoreCase

pytestmark = pytest.mark.integration


def test_put_get_delete_many_keep_input_order(any_store: StoreCase) -> None:
    """Results come back one per item in input order, with the right bytes."""
    store, bucket = any_store.store, any_store.bucket
    keys = [f"many/{i:03d}" for i in range(60)][::-1]  # reversed: order must follow the input
    puts = batch.put_many(store, bucket, [(k, k.encode()) for k in keys], max_workers=8)
    assert [r.key for r in puts] == keys and all(r.ok for r in puts)
    gets = batch.get_many(store, bucket, keys, max_workers=8)
    assert [r.value for r in gets] == [k.encode() for k in keys]
    deletes = batch.delete_many(store, bucket, keys, max_workers=4)
    assert [r.key for r in deletes] == keys and all(r.ok for r in deletes)
    assert list(store.list_objects(bucket)) == []


def test_per_item_errors_do_not_stop_the_batch(any_store: StoreCase) -> None:
    """A missing key and an invalid key fail alone; the other items succeed."""
    store, bucket = any_store.store, any_store.bucket
    batch.put_many(store, bucket, {"a": b"1", "c": b"3"})
    results = batch.get_many(store, bucket, ["a", "missing", "", "c"])
    assert [r.ok for r in results] == [True, False, False, True]
    assert isinstance(results[1].error, ObjectNotFound)
    assert isinstance(results[2].error, InvalidArgument)
    assert (results[0].value, results[3].value) == (b"1", b"3")
    puts = batch.put_many(store, bucket, [("ok", b"x"), ("", b"y")])
    assert [r.ok for r in puts] == [True, False]
    assert store.get_object(bucket, "ok") == b"x"


def test_directory_round_trip(any_store: StoreCase, tmp_path: Path) -> None:
    """upload_directory then download_directory reproduces the tree byte for byte."""
    store, bucket = any_store.store, any_store.bucket
    source = tmp_path / "src"
    for rel, data in {"a.txt": b"A", "sub/b.bin": b"\x00B", "sub/deep/c": b"C" * 1000}.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes(data)
    up = batch.upload_directory(store, bucket, source, prefix="tree/")
    assert [r.key for r in up] == ["tree/a.txt", "tree/sub/b.bin", "tree/sub/deep/c"]
    assert all(r.ok for r in up)
    down = batch.download_directory(store, bucket, tmp_path / "dst", prefix="tree/")
    assert [r.value for r in down] == [1, 2, 1000]
    for rel in ("a.txt", "sub/b.bin", "sub/deep/c"):
        assert (tmp_path / "dst" / rel).read_bytes() == (source / rel).read_bytes()


def test_bad_arguments_raise(any_store: StoreCase, tmp_path: Path) -> None:
    """An invalid worker count, bucket name or source folder is refused before any work."""
    store, bucket = any_store.store, any_store.bucket
    with pytest.raises(InvalidArgument, match="max_workers"):
        batch.get_many(store, bucket, ["a"], max_workers=0)
    with pytest.raises(InvalidArgument, match="invalid bucket 'Bad_Name'"):
        batch.get_many(store, "Bad_Name", ["a"])  # the core names its own arguments
    with pytest.raises(InvalidArgument, match="not a folder"):
        batch.upload_directory(store, bucket, tmp_path / "missing")


def test_facade_many_object_methods(facade: Bucket, bucket_name: str, tmp_path: Path) -> None:
    """Bucket.put_many/get_many/delete_many and directory transfers return per-item results."""
    keys = [f"f/{i:02d}" for i in range(25)]
    puts = facade.put_many(bucket_name, [(k, k.encode()) for k in keys], max_workers=6)
    assert not isinstance(puts, int) and [r.key for r in puts] == keys and all(r.ok for r in puts)
    gets = facade.get_many(bucket_name, [*keys, "missing"])
    assert not isinstance(gets, int)
    assert [r.value for r in gets[:-1]] == [k.encode() for k in keys]
    assert isinstance(gets[-1].error, ObjectNotFound)
    deletes = facade.delete_many(bucket_name, keys)
    assert not isinstance(deletes, int) and all(r.ok for r in deletes)
    assert facade.get_bucket_files(bucket_name) == []
    assert facade.put_many("Bad_Name", [("k", b"v")]) == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "x.txt").write_bytes(b"x")
    assert not isinstance(facade.upload_directory(bucket_name, tmp_path / "up", prefix="d/"), int)
    down = facade.download_directory(bucket_name, tmp_path / "down", prefix="d/")
    assert not isinstance(down, int) and [r.value for r in down] == [1]
    assert (tmp_path / "down" / "x.txt").read_bytes() == b"x"
    assert facade.upload_directory(bucket_name, tmp_path / "nope") == facade.error


def test_stats_on_every_store(any_store: StoreCase) -> None:
    """bucket_stats counts objects and bytes per top-level prefix on S3 and the local store."""
    from backend.src.libs.bucket.s3.admin import bucket_stats

    store, bucket = any_store.store, any_store.bucket
    batch.put_many(store, bucket, {"a/1": b"xx", "a/2": b"yyy", "b/1": b"z", "top": b""})
    stats = bucket_stats(store, bucket, page_size=2)
    assert (stats.objects, stats.bytes) == (4, 6)
    assert {k: (v.objects, v.bytes) for k, v in stats.by_prefix.items()} == {
        "": (1, 0), "a/": (2, 5), "b/": (1, 1)
    }
    assert stats.by_storage_class["STANDARD"].objects == 4
    assert stats.pages == 2
