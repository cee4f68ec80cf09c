"""Issue 3 item 4: SSE-S3, SSE-KMS, SSE-C per object and as store default; bucket default encryption."""

from __future__ import annotations

import os

import pytest

from backend.src.libs.bucket import Bucket, InvalidArgument
from backend.src.libs.bucket.base.options import SseC, SseKms, SseS3, WriteOptions
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.bucket.s3.transfer import TransferSettings
from tests.conftest import ServerCase

MiB = 1024 * 1024


def test_sse_s3_per_object(s3case: ServerCase) -> None:
    """An SSE-S3 put is reported as AES256 by the server."""
    s3case.need("sse-s3")
    s3case.store.put_object(s3case.bucket, "s.txt", b"x", options=WriteOptions(encryption=SseS3()))
    head = s3case.store.client.head_object(Bucket=s3case.bucket, Key="s.txt")
    assert head.get("ServerSideEncryption") == "AES256"


def test_sse_kms_per_object(s3case: ServerCase) -> None:
    """An SSE-KMS put with a key id is reported with that key id."""
    s3case.need("sse-kms")
    s3case.store.put_object(
        s3case.bucket,
        "k.txt",
        b"x",
        options=WriteOptions(encryption=SseKms("testkey-1")),
    )
    head = s3case.store.client.head_object(Bucket=s3case.bucket, Key="k.txt")
    assert head.get("ServerSideEncryption") == "aws:kms"
    assert head.get("SSEKMSKeyId", "").endswith("testkey-1")
    assert s3case.store.get_object(s3case.bucket, "k.txt") == b"x"


def test_sse_c_roundtrip_and_clear_failure_without_key(s3case: ServerCase) -> None:
    """SSE-C: readable with the key (small and multipart), refused clearly without it."""
    key = os.urandom(32)
    big = os.urandom(11 * MiB)
    s3case.store.put_object(
        s3case.bucket,
        "c.bin",
        b"secret",
        options=WriteOptions(encryption=SseC(key)),
    )
    s3case.store.put_object(
        s3case.bucket,
        "big.bin",
        big,
        options=WriteOptions(encryption=SseC(key)),
        transfer=TransferSettings(multipart_threshold=5 * MiB, part_size=5 * MiB),
    )
    assert s3case.store.get_object(s3case.bucket, "c.bin", sse_customer_key=key) == b"secret"
    assert s3case.store.get_object(s3case.bucket, "big.bin", sse_customer_key=key) == big
    with pytest.raises(InvalidArgument, match="sse_customer_key"):
        s3case.store.get_object(s3case.bucket, "c.bin")
    with pytest.raises(InvalidArgument, match="sse_customer_key"):
        s3case.store.head_object(s3case.bucket, "c.bin")


def test_store_default_sse_c_from_settings(s3case: ServerCase) -> None:
    """BUCKET_SSE_CUSTOMER_KEY applies to every write and read of the store; the secret
    never appears in the config's repr."""
    hexkey = os.urandom(32).hex()
    store = S3Store(s3case.config(sse_customer_key=hexkey))
    store.put_object(s3case.bucket, "d.bin", b"default")
    assert store.get_object(s3case.bucket, "d.bin") == b"default"
    with pytest.raises(InvalidArgument):
        s3case.store.get_object(s3case.bucket, "d.bin")
    assert hexkey not in repr(store.config)
    store.close()


def test_store_default_sse_s3(s3case: ServerCase) -> None:
    """BUCKET_SSE=AES256 encrypts every write."""
    s3case.need("sse-s3")
    store = S3Store(s3case.config(sse="AES256"))
    store.put_object(s3case.bucket, "e.txt", b"x")
    assert store.client.head_object(Bucket=s3case.bucket, Key="e.txt").get("ServerSideEncryption") == "AES256"
    store.close()


def test_bucket_default_encryption(s3case: ServerCase) -> None:
    """Bucket default encryption is set, read back, applied to plain puts, and removed."""
    s3case.need("bucket-encryption")
    s3case.store.set_bucket_encryption(s3case.bucket, "AES256")
    assert s3case.store.get_bucket_encryption(s3case.bucket) == ("AES256", None)
    s3case.store.put_object(s3case.bucket, "plain.txt", b"x")
    head = s3case.store.client.head_object(Bucket=s3case.bucket, Key="plain.txt")
    assert head.get("ServerSideEncryption") == "AES256"
    s3case.store.delete_bucket_encryption(s3case.bucket)
    assert s3case.store.get_bucket_encryption(s3case.bucket) is None


def test_ceph_refuses_bucket_encryption_clearly(s3case: ServerCase) -> None:
    """Where bucket encryption is missing (Ceph 16) the call fails with a StorageError,
    and get_bucket_info reports no encryption instead of failing."""
    if s3case.name != "ceph":
        pytest.skip(f"{s3case.name} supports bucket default encryption")
    with pytest.raises(InvalidArgument):
        s3case.store.set_bucket_encryption(s3case.bucket, "AES256")
    assert s3case.store.get_bucket_info(s3case.bucket).encryption is None


def test_invalid_sse_options_refused_before_request(s3_store: S3Store) -> None:
    """Unknown algorithm, KMS key without aws:kms, or a short SSE-C key are refused
    when the options are built, before any request; the facade says so too."""
    with pytest.raises(InvalidArgument, match="sse must be AES256 or aws:kms"):
        WriteOptions.from_arguments(sse="DES")
    with pytest.raises(InvalidArgument, match="sse_kms_key_id needs sse='aws:kms'"):
        WriteOptions.from_arguments(sse="AES256", sse_kms_key_id="k1")
    with pytest.raises(InvalidArgument, match="sse_customer_key"):
        SseC(b"short")
    bucket = Bucket(store=s3_store)
    assert bucket.upload_stream("any-bucket", b"x", "k", sse="DES") == bucket.error
    assert isinstance(bucket.last_error, InvalidArgument)
    assert bucket.upload_stream("any-bucket", b"x", "k", sse_customer_key=b"short") == bucket.error
    assert "sse_customer_key" in str(bucket.last_error)
