"""``Bucket.delete_files``: every key checked before the first request, a facade that never
raises, and a result that says what was deleted when the server refuses a later batch
(issue 15, items 11 and 16), on Ceph RGW and on the local store."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from backend.src.libs.bucket import Bucket, DeleteResult, InvalidArgument, StorageError
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import StoreCase
from tests.faults.conftest import ProxiedConfig, direct, fault_bucket, proxied_config, proxy
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.integration

__all__ = ["direct", "fault_bucket", "proxied_config", "proxy"]  # the proxy fixtures, shared


def _keys(case: StoreCase) -> list[str]:
    return sorted(e.key for e in case.store.list_objects(case.bucket))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "key_names", [None, 5, 1.5, object(), "single-key-as-str", b"bytes"],
    ids=["none", "int", "float", "object", "str", "bytes"],
)
def test_wrong_type_key_names_return_error(any_store: StoreCase, key_names: object) -> None:
    """key_names that is not an iterable of keys (None, 5, 1.5, object(), a str, bytes):
    delete_files returns error (no TypeError) with an InvalidArgument naming key_names;
    nothing is deleted (a str is not read character by character)."""
    any_store.store.put_object(any_store.bucket, "s", b"x")
    facade = Bucket(store=any_store.store)
    assert facade.delete_files(any_store.bucket, key_names) == facade.error  # type: ignore[arg-type]
    assert isinstance(facade.last_error, InvalidArgument)
    assert "key_names must be an iterable of keys" in str(facade.last_error)
    assert _keys(any_store) == ["s"]


def test_generator_that_raises_returns_error(any_store: StoreCase) -> None:
    """A key generator that raises after yielding keys: delete_files returns error with an
    InvalidArgument carrying the generator's exception; the keys it yielded are not deleted."""
    any_store.store.put_object(any_store.bucket, "a", b"x")

    def keys() -> Iterator[str]:
        yield "a"
        raise RuntimeError("the key source broke")

    facade = Bucket(store=any_store.store)
    assert facade.delete_files(any_store.bucket, keys()) == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert "the key source broke" in str(facade.last_error)
    assert _keys(any_store) == ["a"]


@pytest.mark.parametrize(
    ("bad", "words"),
    [("", "must not be empty"), (7, "must be a string, not int"), ("k" * 1025, "1025 bytes")],
    ids=["empty", "int", "too-long"],
)
def test_bad_key_in_second_batch_deletes_nothing(
    any_store: StoreCase, bad: object, words: str
) -> None:
    """1,000 good keys then a bad one (empty, not a string, 1025 bytes) at position 1000:
    delete_files deletes nothing (the first batch's objects are still there) and returns
    error whose message names key_names[1000] and the rule broken."""
    present = ["k0000", "k0500", "k0999"]
    for key in present:
        any_store.store.put_object(any_store.bucket, key, b"x")
    keys: list[object] = [f"k{i:04d}" for i in range(1000)] + [bad]
    facade = Bucket(store=any_store.store)
    assert facade.delete_files(any_store.bucket, keys) == facade.error  # type: ignore[arg-type]
    assert isinstance(facade.last_error, InvalidArgument)
    message = str(facade.last_error)
    assert "key_names[1000]" in message and words in message, message
    assert _keys(any_store) == present


def test_valid_keys_across_batches_are_deleted(any_store: StoreCase) -> None:
    """2,001 valid keys (three batches): every existing object among them is deleted and the
    result lists all 2,001 keys as deleted, none failed."""
    present = ["k0000", "k1000", "k2000"]
    for key in [*present, "keep"]:
        any_store.store.put_object(any_store.bucket, key, b"x")
    keys = [f"k{i:04d}" for i in range(2001)]
    facade = Bucket(store=any_store.store)
    result = facade.delete_files(any_store.bucket, iter(keys))
    assert isinstance(result, DeleteResult), facade.last_error
    assert sorted(result.deleted) == keys and result.errors == ()
    assert _keys(any_store) == ["keep"]


def test_second_batch_refused_by_server_reports_what_was_deleted(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """Ceph through a proxy that refuses the second DeleteObjects request (403 AccessDenied):
    delete_files returns a DeleteResult listing the first batch's 1,000 keys as deleted and
    the second batch's keys as failed with AccessDenied; the server holds exactly the
    second batch's object."""
    for key in ("k0000", "k0999", "k1000"):
        direct.put_object(fault_bucket, key, b"x")
    counter = itertools.count(1)

    def second_delete(method: str, target: str) -> bool:
        return method == "POST" and "delete" in target.partition("?")[2] and next(counter) == 2

    proxy.error(403, "AccessDenied", count=1, match=second_delete)
    facade = Bucket(config=proxied_config(max_retries=0))
    keys = [f"k{i:04d}" for i in range(1001)]
    result = facade.delete_files(fault_bucket, keys)
    assert isinstance(result, DeleteResult), facade.last_error
    assert sorted(result.deleted) == keys[:1000]
    assert [(e.key, e.code) for e in result.errors] == [("k1000", "AccessDenied")]
    assert sorted(e.key for e in direct.list_objects(fault_bucket)) == ["k1000"]  # type: ignore[union-attr]


def test_first_batch_refused_returns_error(
    proxy: FaultProxy, proxied_config: ProxiedConfig, direct: S3Store, fault_bucket: str
) -> None:
    """When the server refuses the first (only) batch, nothing was deleted: delete_files
    returns error with the server's StorageError in last_error, and the object remains."""
    direct.put_object(fault_bucket, "k", b"x")
    proxy.error(403, "AccessDenied", count=1, match=lambda m, t: m == "POST")
    facade = Bucket(config=proxied_config(max_retries=0))
    assert facade.delete_files(fault_bucket, ["k"]) == facade.error
    assert isinstance(facade.last_error, StorageError) and facade.last_error.code == "AccessDenied"
    assert [e.key for e in direct.list_objects(fault_bucket)] == ["k"]  # type: ignore[union-attr]
