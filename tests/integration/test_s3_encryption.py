"""Issue 3 item 4: SSE-S3, SSE-KMS, SSE-C per object and as store default; bucket default encryption."""

from __future__ import annotations

import os

import pytest

from backend.src.libs.bucket import InvalidArgument
from backend.src.libs.bucket.s3_store import S3Store
from tests.conftest import ServerCase

MiB = 1024 * 1024


def test_sse_s3_per_object(s3case: ServerCase) -> None:
    """An SSE-S3 put is reported as AES256 by the server."""
    s3case.need("sse-s3")
    s3case.store.put_object(s3case.bucket, "s.txt", b"x", sse="AES256")
    head = s3case.store.client.head_object(Bucket=s3case.bucket, Key="s.txt")
    assert head.get("ServerSideEncryption") == "AES256"


def test_sse_kms_per_object(s3case: ServerCase) -> None:
    """An SSE-KMS put with a key id is reported with that key id."""
    s3case.need("sse-kms")
    s3case.store.put_object(s3case.bucket, "k.txt", b"x", sse="aws:kms", sse_kms_key_id="testkey-1")
    head = s3case.store.client.head_object(Bucket=s3case.bucket, Key="k.txt")
    assert head.get("ServerSideEncryption") == "aws:kms"
    assert head.get("SSEKMSKeyId", "").endswith("testkey-1")
    assert s3case.store.get_object(s3case.bucket, "k.txt") == b"x"


def test_sse_c_roundtrip_and_clear_failure_without_key(s3case: ServerCase) -> None:
    """SSE-C: readable with the key (small and multipart), refused clearly without it."""
    key = os.urandom(32)
    big = os.urandom(11 * MiB)
    s3case.store.put_object(s3case.bucket, "c.bin", b"secret", sse_customer_key=key)
    s3case.store.put_object(
        s3case.bucket, "big.bin", big, sse_customer_key=key, multipart_threshold=5 * MiB, part_size=5 * MiB
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
    """Unknown algorithm, KMS key without aws:kms, or a short SSE-C key are refused."""
    with pytest.raises(InvalidArgument):
        s3_store.put_object("any-bucket", "k", b"x", sse="DES")
    with pytest.raises(InvalidArgument):
        s3_store.put_object("any-bucket", "k", b"x", sse="AES256", sse_kms_key_id="k1")
    with pytest.raises(InvalidArgument):
        s3_store.put_object("any-bucket", "k", b"x", sse_customer_key=b"short")
