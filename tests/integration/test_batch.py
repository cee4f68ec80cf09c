"""Many-object operations on the real S3 server and the local store: order, errors, directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.src.libs.bucket import InvalidArgument, ObjectNotFound, batch
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
    with pytest.raises(InvalidArgument, match="bucket_name"):
        batch.get_many(store, "Bad_Name", ["a"])
    with pytest.raises(InvalidArgument, match="not a folder"):
        batch.upload_directory(store, bucket, tmp_path / "missing")
