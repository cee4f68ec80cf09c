"""The runtime's asyncio services on real servers (Ceph, Redis on 6379): runtime.abucket,
runtime.aredis (one client per event loop), await aping() and await aclose()."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from backend.src.libs.bucket import AsyncBucket, BucketConfig
from backend.src.libs.core import RuntimeManager
from backend.src.libs.redis import RedisConfig
from tests.conftest import config_for
from tests.servers import S3Server

pytestmark = pytest.mark.integration


def _runtime(ceph_server: S3Server) -> tuple[RuntimeManager, BucketConfig]:
    runtime = RuntimeManager(isolated=True)
    config = config_for(ceph_server)
    runtime.configure(bucket=config, redis=RedisConfig.from_env({"REDIS_HOST": "127.0.0.1"}))
    return runtime, config


def test_abucket_aredis_aping_and_aclose(ceph_server: S3Server) -> None:
    """abucket is an AsyncBucket on the settings given to configure(bucket=...) and
    works; aredis stores and reads a key; aping reports the four services healthy (the
    Redis detail names 127.0.0.1:6379/0); aclose closes them in reverse creation order."""
    runtime, config = _runtime(ceph_server)
    key = f"aredis-{uuid.uuid4().hex}"

    async def scenario() -> tuple[object, object, object]:
        bucket = runtime.abucket
        assert isinstance(bucket, AsyncBucket) and bucket.config is config
        assert isinstance(await bucket.get_bucket_names(), list)
        assert await runtime.aredis.set(key, "v") is True
        assert await runtime.aredis.get(key) == "v"
        await runtime.aredis.delete(key)
        _ = runtime.bucket, runtime.redis
        report = await runtime.aping()
        return report, await runtime.aclose(), runtime.names

    report, closed, left = asyncio.run(scenario())
    assert report.healthy, report.as_dict()  # type: ignore[attr-defined]
    assert report.names == ("AsyncBucket", "AsyncRedisClients", "Bucket", "Redis")  # type: ignore[attr-defined]
    assert report["aredis"].detail == "127.0.0.1:6379/0"  # type: ignore[index]
    assert closed.closed == ("Redis", "Bucket", "AsyncRedisClients", "AsyncBucket")  # type: ignore[attr-defined]
    assert left == ()


def test_aredis_is_one_client_per_loop_and_abucket_serves_every_loop(ceph_server: S3Server) -> None:
    """Two event loops get two redis.asyncio clients, each working in its loop; the one
    AsyncBucket answers from both loops; aping names a failing Redis without raising."""
    runtime, _ = _runtime(ceph_server)

    async def in_a_loop() -> tuple[int, bool]:
        client = runtime.aredis
        assert runtime.aredis is client
        pong = await client.ping()
        listed = await runtime.abucket.get_bucket_names()
        await runtime.aclose()
        return id(client), bool(pong) and isinstance(listed, list)

    first, ok1 = asyncio.run(in_a_loop())
    second, ok2 = asyncio.run(in_a_loop())
    assert ok1 and ok2 and first != second
    broken = RuntimeManager(isolated=True)
    broken.configure(redis=RedisConfig.from_env({"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "1"}))

    async def ping_broken() -> object:
        report = await broken.aping("aredis")
        await broken.aclose()
        return report

    report = asyncio.run(ping_broken())
    assert not report.healthy and "aredis" in report  # type: ignore[attr-defined,operator]
    assert report["aredis"].reason  # type: ignore[index]
