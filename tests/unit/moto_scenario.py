"""The default engine under moto's ``mock_aws``, as a user's unit tests drive it.

Run by ``tests/unit/test_test_doubles.py`` in a subprocess under the dial guard
(``tests/dial_guard.py``: any attempt to leave the machine fails and is logged):
``python -m tests.unit.moto_scenario FOLDER``. Every call must succeed through moto, on
the default engine (``auto``, which is obstore here), with one store built and its client
made before the mock started and one built inside it; prints ``ok`` at the end.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import boto3
from moto import mock_aws

from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig
from backend.src.libs.bucket.s3.store import S3Store

SETTINGS = {
    "BUCKET_STORAGE_TYPE": "s3",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "BUCKET_MAX_RETRIES": "0",
    "BUCKET_CONNECT_TIMEOUT": "1",
}
MiB = 1024 * 1024


def objects(store: S3Store, folder: Path) -> None:
    """put/get/head/exists/delete/presign/list/upload_file/download_file on ``store``."""
    store.create_bucket("demo")
    store.put_object("demo", "small.txt", b"hello")
    assert store.get_object("demo", "small.txt") == b"hello"
    assert store.get_object("demo", "small.txt", start=1, end=3) == b"ell"
    assert store.head_object("demo", "small.txt").size == 5
    assert store.object_exists("demo", "small.txt")
    assert not store.object_exists("demo", "missing.txt")
    assert store.presign_url("demo", "small.txt").startswith("https://")
    small, large = folder / "small.bin", folder / "large.bin"
    small.write_bytes(b"s" * 1000)
    large.write_bytes(os.urandom(9 * MiB))  # above the 8 MiB threshold: multipart
    store.upload_file("demo", "dir/small.bin", small)
    store.upload_file("demo", "dir/large.bin", large)
    assert [o.key for o in store.list_objects("demo", prefix="dir/")] == [
        "dir/large.bin",
        "dir/small.bin",
    ]
    back = folder / "back.bin"
    assert store.download_file("demo", "dir/large.bin", back) == 9 * MiB
    assert back.read_bytes() == large.read_bytes()
    store.delete_object("demo", "small.txt")
    assert not store.object_exists("demo", "small.txt")


async def twins(config: BucketConfig) -> None:
    """``AsyncBucket``'s hot calls (the event loop's own routes)."""
    async with AsyncBucket(config=config) as bucket:
        assert await bucket.upload_stream("demo", b"async", "async.txt") == bucket.success
        assert await bucket.download_stream("demo", "async.txt") == b"async"
        assert await bucket.file_exists("demo", "async.txt") is True
        assert await bucket.delete_file("demo", "async.txt") == bucket.success


def main(folder: Path) -> None:
    config = BucketConfig.from_env(SETTINGS)
    early = S3Store(config)
    _ = early.client  # the client is made before the mock starts
    assert early.engine == "obstore", early.engine  # the default engine
    with mock_aws():
        objects(early, folder)
        late = S3Store(config)
        late.put_object("demo", "late.txt", b"late")
        assert late.get_object("demo", "late.txt") == b"late"
        with Bucket(config=config) as bucket:  # the calls, on the facade
            assert bucket.upload_stream("demo", b"data", "f.txt") == bucket.success
            assert bucket.download_stream("demo", "f.txt") == b"data"
        asyncio.run(twins(config))
        s3 = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        assert s3.get_object(Bucket="demo", Key="f.txt")["Body"].read() == b"data"
    print("ok")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
