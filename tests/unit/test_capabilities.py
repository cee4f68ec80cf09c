"""Capabilities as types: the facade asks the store's protocols and declared options,
never its attributes or signatures (an injected store, as in test_facade_unit.py)."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import pytest

from backend.src.libs.bucket import Bucket, NotSupported
from backend.src.libs.bucket.base.capabilities import (
    BucketEncryption,
    BucketInspection,
    Lifecycle,
    ObjectLock,
    ObjectTagging,
    Presigner,
    Versioning,
    options_of,
)
from backend.src.libs.bucket.base.options import WRITE_OPTION_NAMES
from backend.src.libs.bucket.base.store import ObjectStore
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store


class BareStore:
    """A store with only the basic operations, no capability, declaring one option."""

    options_supported: ClassVar[dict[str, frozenset[str]]] = {
        "put_object": frozenset({"if_none_match"})
    }

    def __init__(self) -> None:
        self.calls: list[str] = []

    def close(self) -> None:
        """Nothing to release."""

    def get_object(self, bucket: str, key: str, **kwargs: Any) -> bytes:
        self.calls.append("get_object")
        return b"payload"

    def put_object(self, bucket: str, key: str, data: Any, **kwargs: Any) -> None:
        self.calls.append("put_object")


@pytest.fixture
def bare() -> BareStore:
    return BareStore()


@pytest.mark.parametrize(
    ("call", "operation", "capability"),
    [
        (lambda b: b.presign_url("bk", "k"), "presign_url", "Presigner"),
        (lambda b: b.presign_post("bk", "k"), "presign_post", "Presigner"),
        (lambda b: b.set_versioning("bk"), "set_versioning", "Versioning"),
        (lambda b: b.list_file_versions("bk"), "list_object_versions", "Versioning"),
        (lambda b: b.get_bucket_encryption("bk"), "get_bucket_encryption", "BucketEncryption"),
        (lambda b: b.get_lifecycle("bk"), "get_lifecycle", "Lifecycle"),
        (lambda b: b.get_file_tags("bk", "k"), "get_object_tags", "ObjectTagging"),
        (lambda b: b.get_legal_hold("bk", "k"), "get_legal_hold", "ObjectLock"),
        (lambda b: b.get_bucket_info("bk"), "get_bucket_info", "BucketInspection"),
    ],
)
def test_missing_capability_is_not_supported(
    bare: BareStore, call: Any, operation: str, capability: str
) -> None:
    """A store without a capability gives ``error`` and a NotSupported naming the
    operation, the capability and the store class; nothing reaches the store."""
    bucket = Bucket(store=bare)  # type: ignore[arg-type]
    assert call(bucket) == bucket.error
    assert isinstance(bucket.last_error, NotSupported)
    message = str(bucket.last_error)
    assert operation in message and capability in message and "BareStore" in message
    assert bare.calls == []


def test_undeclared_option_is_refused_before_any_request(bare: BareStore) -> None:
    """An option the store does not declare for the operation is refused with the
    historical message (operation, option, store) and the store is never called; a
    declared option goes through."""
    bucket = Bucket(store=bare)  # type: ignore[arg-type]
    assert bucket.upload_stream("bk", b"x", "k", sse="AES256") == bucket.error
    assert isinstance(bucket.last_error, NotSupported)
    assert bucket.last_error.message == "put_object with sse is not supported by BareStore"
    assert bucket.download_stream("bk", "k", version_id="v1") == bucket.error
    assert "get_object with version_id" in str(bucket.last_error)
    assert bare.calls == []
    assert bucket.upload_stream("bk", b"x", "k", if_none_match="*") == bucket.success
    assert bucket.download_stream("bk", "k") == b"payload"
    assert bare.calls == ["put_object", "get_object"]


def test_stores_have_the_declared_capabilities(tmp_path: Any) -> None:
    """S3Store has every capability; LocalStore only Presigner (to refuse with its reason)."""
    from backend.src.libs.bucket.base.config import BucketConfig

    s3 = S3Store(BucketConfig(endpoint_url="http://127.0.0.1:1"), client=object())
    local = LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path)))
    every = (Presigner, Versioning, BucketEncryption, Lifecycle, ObjectTagging, ObjectLock)
    assert all(isinstance(s3, c) for c in (*every, BucketInspection, ObjectStore))
    assert isinstance(local, Presigner) and isinstance(local, ObjectStore)
    assert not any(isinstance(local, c) for c in (*every[1:], BucketInspection))


@pytest.mark.parametrize("store_class", [S3Store, LocalStore])
@pytest.mark.parametrize(
    "operation",
    ["get_object", "open_object", "head_object", "download_file", "delete_object"],
)
def test_declared_options_match_the_signatures(store_class: type, operation: str) -> None:
    """Each store declares exactly the keyword options its method takes beyond the
    ``ObjectStore`` protocol, so the declaration cannot drift from the code."""
    base = set(inspect.signature(getattr(ObjectStore, operation)).parameters)
    own = set(inspect.signature(getattr(store_class, operation)).parameters)
    declared = store_class.options_supported.get(operation, frozenset())
    assert own - base == set(declared)
    assert options_of(store_class, operation) == declared


@pytest.mark.parametrize("store_class", [S3Store, LocalStore])
@pytest.mark.parametrize("operation", ["put_object", "upload_file"])
def test_writes_take_one_options_object(store_class: type, operation: str) -> None:
    """A write takes the protocol's signature (one ``WriteOptions``, one
    ``TransferSettings``) and declares only names of ``WRITE_OPTION_NAMES``, which
    ``WriteOptions.given`` and ``TransferSettings.given`` produce."""
    base = list(inspect.signature(getattr(ObjectStore, operation)).parameters)
    own = list(inspect.signature(getattr(store_class, operation)).parameters)
    assert own == base
    declared = store_class.options_supported.get(operation, frozenset())
    assert declared <= WRITE_OPTION_NAMES
    assert options_of(store_class, operation) == declared
