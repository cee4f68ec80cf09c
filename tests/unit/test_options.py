"""Write options as objects (issue 10 item 2): ``WriteOptions`` and typed encryption are
checked once when built, with the facade's words; the store default and the boto3
arguments follow from them and the store's config; undeclared options are refused from
the fields that are set."""

from __future__ import annotations

import base64
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import BucketConfig, InvalidArgument, NotSupported
from backend.src.libs.bucket.base.capabilities import check_write
from backend.src.libs.bucket.base.options import (
    SseC,
    SseKms,
    SseS3,
    WriteOptions,
    default_encryption,
    encryption_in_force,
)
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.admin import Retention
from backend.src.libs.bucket.s3.args import s3_write_args
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.bucket.s3.transfer import TransferSettings

KEY = os.urandom(32)
UNTIL = datetime.now(UTC) + timedelta(days=1)


def _config(**values: Any) -> BucketConfig:
    return BucketConfig(endpoint_url="http://127.0.0.1:1", **values)


@pytest.mark.parametrize("form", [KEY, KEY.hex(), base64.b64encode(KEY).decode()])
def test_sse_c_accepts_32_bytes_hex_or_base64(form: str | bytes) -> None:
    """An SSE-C key is 32 raw bytes, 64 hex digits or base64; each gives the same raw key,
    and the key never shows in the repr."""
    sse_c = SseC(form)
    assert sse_c.raw == KEY
    assert repr(sse_c) == "SseC(key=***)" and KEY.hex() not in repr(WriteOptions(encryption=sse_c))


@pytest.mark.parametrize("bad", [b"short", os.urandom(31), "z" * 64, os.urandom(33).hex(), 42])
def test_sse_c_refuses_anything_but_a_256_bit_key(bad: Any) -> None:
    """A key of another length (or no key at all) is refused naming sse_customer_key."""
    with pytest.raises(InvalidArgument, match="sse_customer_key must be a 256-bit key"):
        SseC(bad)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sse": "AES256", "sse_customer_key": KEY}, "sse and sse_customer_key exclude each other"),
        ({"sse": "DES"}, "sse must be AES256 or aws:kms, not 'DES'"),
        ({"sse": "AES256", "sse_kms_key_id": "k1"}, "sse_kms_key_id needs sse='aws:kms'"),
        ({"sse_kms_key_id": "k1"}, "sse_kms_key_id needs sse='aws:kms'"),
        ({"sse_customer_key": KEY, "sse_kms_key_id": "k1"}, "sse_kms_key_id needs sse='aws:kms'"),
        ({"lock_mode": "GOVERNANCE"}, "lock_mode and retain_until go together"),
        ({"retain_until": UNTIL}, "lock_mode and retain_until go together"),
        ({"lock_mode": "LOOSE", "retain_until": UNTIL}, "mode must be GOVERNANCE or COMPLIANCE"),
        (
            {"lock_mode": "GOVERNANCE", "retain_until": datetime(2030, 1, 1)},
            "retain_until must be a timezone-aware datetime",
        ),
        ({"if_none_match": "etag"}, "if_none_match must be '*' (write-once), not 'etag'"),
        ({"storage_class": "COLD"}, "storage_class must be one of STANDARD"),
        ({"tags": {f"t{i}": "v" for i in range(11)}}, "S3 allows 10 tags"),
        ({"metadata": {"note": "tab\there"}}, "control characters"),
    ],
)
def test_facade_arguments_are_checked_with_the_historical_words(
    arguments: dict[str, Any], message: str
) -> None:
    """Each loose facade argument out of its domain (or in a forbidden pair) is refused
    when the options are built, with the message the store used to give."""
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        WriteOptions.from_arguments(**arguments)


def test_facade_arguments_become_typed_options() -> None:
    """sse / sse_kms_key_id / sse_customer_key become SseS3 / SseKms / SseC, the lock pair
    a Retention, if_none_match='*' the create mode; nothing given is every default."""
    assert WriteOptions.from_arguments() == WriteOptions()
    assert WriteOptions.from_arguments(sse="AES256").encryption == SseS3()
    assert WriteOptions.from_arguments(sse="aws:kms").encryption == SseKms()
    assert WriteOptions.from_arguments(sse="aws:kms", sse_kms_key_id="k").encryption == SseKms("k")
    assert WriteOptions.from_arguments(sse_customer_key=KEY.hex()).encryption == SseC(KEY.hex())
    locked = WriteOptions.from_arguments(lock_mode="COMPLIANCE", retain_until=UNTIL)
    assert locked.retention == Retention("COMPLIANCE", UNTIL)
    once = WriteOptions.from_arguments(if_none_match="*")
    assert once.mode == "create" and once.write_once
    assert WriteOptions.from_arguments(metadata={"Owner": "ada"}).metadata == {"owner": "ada"}


def test_a_kms_key_alone_needs_the_store_to_be_sse_kms() -> None:
    """sse_kms_key_id without sse picks another key for a store whose BUCKET_SSE is
    aws:kms, and is refused for any other store, as before."""
    kms = _config(sse="aws:kms", sse_kms_key_id="default-key")
    assert WriteOptions.from_arguments(config=kms, sse_kms_key_id="k").encryption == SseKms("k")
    for config in (None, _config(), _config(sse="AES256")):
        with pytest.raises(InvalidArgument, match="sse_kms_key_id needs sse='aws:kms'"):
            WriteOptions.from_arguments(config=config, sse_kms_key_id="k")


def test_write_options_checks_direct_construction() -> None:
    """A WriteOptions built directly is checked too: the put mode, the encryption type,
    the retention and the content type."""
    with pytest.raises(InvalidArgument, match="mode must be 'create' or 'overwrite'"):
        WriteOptions(mode="append")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="encryption must be SseS3"):
        WriteOptions(encryption="AES256")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="retain_until must be a timezone-aware"):
        WriteOptions(retention=Retention("GOVERNANCE", datetime(2030, 1, 1)))
    with pytest.raises(InvalidArgument, match="content_type must be a string"):
        WriteOptions(content_type=3)  # type: ignore[arg-type]


def test_store_default_and_call_precedence() -> None:
    """The store's default comes from BUCKET_SSE_CUSTOMER_KEY, else BUCKET_SSE (with its
    KMS key); a call's encryption replaces it whole, and SseKms() takes the store's key."""
    assert default_encryption(_config()) is None
    assert default_encryption(_config(sse="AES256")) == SseS3()
    kms = _config(sse="aws:kms", sse_kms_key_id="default-key")
    assert default_encryption(kms) == SseKms("default-key")
    sse_c = _config(sse_customer_key=KEY.hex())
    assert default_encryption(sse_c) == SseC(KEY.hex())
    assert encryption_in_force(None, kms) == SseKms("default-key")
    assert encryption_in_force(SseKms(), kms) == SseKms("default-key")
    assert encryption_in_force(SseKms("mine"), kms) == SseKms("mine")
    assert encryption_in_force(SseS3(), kms) == SseS3()  # once refused for the config's key id
    assert encryption_in_force(SseS3(), sse_c) == SseS3()
    assert encryption_in_force(SseC(KEY), _config(sse="AES256")) == SseC(KEY)


def test_boto3_arguments_of_a_write() -> None:
    """One function gives boto3's ExtraArgs: content type guessed from the key, metadata,
    encryption in force, storage class (the store's by default), tags, lock, hold."""
    config = _config(sse="aws:kms", sse_kms_key_id="default-key", storage_class="STANDARD_IA")
    assert s3_write_args(WriteOptions(), config, key="a/b.json") == {
        "ContentType": "application/json",
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "default-key",
        "StorageClass": "STANDARD_IA",
    }
    options = WriteOptions(
        content_type="text/plain",
        metadata={"A": "1"},
        storage_class="GLACIER",
        tags={"team": "a b"},
        encryption=SseC(KEY),
        retention=Retention("GOVERNANCE", UNTIL),
        legal_hold=False,
    )
    assert s3_write_args(options, _config(), key="k") == {
        "ContentType": "text/plain",
        "Metadata": {"a": "1"},
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": KEY,
        "StorageClass": "GLACIER",
        "Tagging": "team=a%20b",
        "ObjectLockMode": "GOVERNANCE",
        "ObjectLockRetainUntilDate": UNTIL,
        "ObjectLockLegalHoldStatus": "OFF",
    }
    assert s3_write_args(WriteOptions(encryption=SseKms("")), _config(), key="k") == {
        "ContentType": "application/octet-stream",
        "ServerSideEncryption": "aws:kms",
    }


def test_given_names_the_options_set_in_the_facade_words() -> None:
    """given() names what is set by the facade's names (content type and metadata, which
    every store takes, are not named); TransferSettings.given() likewise."""
    assert WriteOptions(content_type="x", metadata={"a": "b"}).given() == frozenset()
    options = WriteOptions(
        encryption=SseKms("k"),
        storage_class="GLACIER",
        tags={},
        retention=Retention("GOVERNANCE", UNTIL),
        legal_hold=True,
        mode="create",
    )
    assert options.given() == {
        "sse",
        "sse_kms_key_id",
        "storage_class",
        "tags",
        "lock_mode",
        "retain_until",
        "legal_hold",
        "if_none_match",
    }
    assert WriteOptions(encryption=SseC(KEY)).given() == {"sse_customer_key"}
    assert TransferSettings(part_size=5 * 1024 * 1024).given() == {"part_size"}


def test_local_store_refuses_what_it_cannot_honour(tmp_path: Path) -> None:
    """The local store refuses, by itself and before writing, an option it does not
    declare, with the facade's historical message; write-once puts and plain uploads
    pass."""
    store = LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path)))
    store.create_bucket("bkt")
    with pytest.raises(NotSupported) as info:
        store.put_object("bkt", "k", b"x", options=WriteOptions(encryption=SseS3()))
    assert info.value.message == "put_object with sse is not supported by LocalStore"
    with pytest.raises(NotSupported, match="upload_file with if_none_match is not supported"):
        store.upload_file("bkt", "k", __file__, options=WriteOptions(mode="create"))
    with pytest.raises(NotSupported, match="put_object with part_size is not supported"):
        store.put_object("bkt", "k", b"x", transfer=TransferSettings(part_size=5 * 1024 * 1024))
    assert not store.object_exists("bkt", "k")
    store.put_object("bkt", "k", b"x", options=WriteOptions(mode="create"))
    assert store.get_object("bkt", "k") == b"x"


def test_s3_store_declares_every_write_option() -> None:
    """The S3 store declares every write option, so check_write never refuses there."""
    s3 = S3Store(_config(), client=object())
    options = WriteOptions(
        encryption=SseKms("k"),
        storage_class="GLACIER",
        tags={"a": "b"},
        retention=Retention("GOVERNANCE", UNTIL),
        legal_hold=True,
        mode="create",
    )
    transfer = TransferSettings(1, 5 * 1024 * 1024, 2)
    check_write(s3, "put_object", options, transfer)
    check_write(s3, "upload_file", options, transfer)


def test_facade_write_keywords_declared_once(tmp_path: Path) -> None:
    """The facade's write keywords are WriteArguments' (declared once): a known one works
    on the local store, an unknown one is error + InvalidArgument naming it, nothing
    written, never a TypeError out of the never-raise facade."""
    from backend.src.libs.bucket import Bucket

    store = LocalStore(BucketConfig(storage_type="local", local_root=str(tmp_path)))
    store.create_bucket("opts")
    facade = Bucket(store=store, auto_connect=False)
    assert facade.upload_stream("opts", b"x", "k", content_type="text/plain") == facade.success
    assert store.head_object("opts", "k").content_type == "text/plain"
    code = facade.upload_stream("opts", b"y", "k2", sse_typo="AES256")  # type: ignore[call-arg]
    assert code == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert "sse_typo: not a write option" in facade.last_error.message
    assert not store.object_exists("opts", "k2")
    source = tmp_path / "f.txt"
    source.write_bytes(b"z")
    assert facade.upload_file("opts", str(source), "k3", part_size=1) == facade.error
    assert "part_size" in str(facade.last_error)
    assert not store.object_exists("opts", "k3")
