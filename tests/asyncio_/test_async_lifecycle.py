"""AsyncBucket's lifecycle calls report the state ``Bucket``'s report, on Ceph and on the
local store: connected after ``connect()`` or a first ``health_check()``, not after
``disconnect()``, connected again after ``connect()``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig
from tests.conftest import config_for
from tests.servers import S3Server


def _lifecycle(config: BucketConfig) -> list[object]:
    """The answers of the same lifecycle calls made on a Bucket and an AsyncBucket."""

    async def run() -> list[object]:
        answers: list[object] = []
        async with AsyncBucket(auto_connect=False, config=config) as bucket:
            answers.append(await bucket.is_connected())  # nothing built yet
            answers.append(await bucket.connect() == bucket.success)
            answers.append(await bucket.is_connected())
            answers.append("connected" in repr(bucket) and "not connected" not in repr(bucket))
            answers.append(await bucket.disconnect() == bucket.success)
            answers.append(await bucket.is_connected())
            answers.append(await bucket.health_check())
            answers.append(await bucket.is_connected())
            answers.append(bucket.last_latency is not None)
        return answers

    return asyncio.run(run())


def _expected(config: BucketConfig) -> list[object]:
    with Bucket(auto_connect=False, config=config) as bucket:
        return [
            bucket.is_connected(),
            bucket.connect() == bucket.success,
            bucket.is_connected(),
            "connected" in repr(bucket) and "not connected" not in repr(bucket),
            bucket.disconnect() == bucket.success,
            bucket.is_connected(),
            bucket.health_check(),
            bucket.is_connected(),
            bucket.last_latency is not None,
        ]


@pytest.mark.integration
def test_async_lifecycle_reports_what_bucket_reports_on_ceph(ceph_server: S3Server) -> None:
    """On Ceph: False before, True after connect() (it was False until a data call),
    False after disconnect(), True after a health_check(); the same answers as Bucket."""
    config = config_for(ceph_server)
    answers = _lifecycle(config)
    assert answers == [False, True, True, True, True, False, True, True, True]
    assert answers == _expected(config)


def test_async_lifecycle_reports_what_bucket_reports_on_the_local_store(tmp_path: Path) -> None:
    """The same sequence on the local store gives the same answers as Bucket's."""
    config = BucketConfig.from_env(
        {"BUCKET_STORAGE_TYPE": "local", "BUCKET_LOCAL_ROOT": str(tmp_path)}
    )
    answers = _lifecycle(config)
    assert answers == [False, True, True, True, True, False, True, True, True]
    assert answers == _expected(config)
