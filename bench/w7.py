"""W7 (issue 13): 1,000 concurrent 16 KiB PUTs, then GETs, from one event loop.

Contenders:

- ``bucket-async``: ``AsyncBucket`` (native obstore async calls for these sizes);
- ``obstore-async``: raw ``obstore.put_async`` / ``get_async`` on one obstore ``S3Store``;
- ``bucket-facade-16threads``: the sync ``Bucket`` behind ``loop.run_in_executor`` on 16
  threads (what an asyncio service does without an async facade);
- ``bucket-facade-direct``: the sync ``Bucket`` called straight from a coroutine (the
  event loop is held for every request); only ``DIRECT_OPS`` of each, for its lag.

Per contender and operation: the wall time of the whole batch (``put``, ``get``) and the
event-loop lag (``put lag``, ``get lag``: the longest gap between two ticks of a 1 ms
timer during the batch, less the 1 ms period), in ms.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.contenders import Target

SIZE = 16 * 1024
DIRECT_OPS = 20
NAMES = ("bucket-async", "obstore-async", "bucket-facade-16threads", "bucket-facade-direct")


def _config(target: Target) -> Any:
    from backend.src.libs.bucket import BucketConfig

    return BucketConfig.from_env(
        {
            "S3_ENDPOINT_URL": target.endpoint,
            "AWS_ACCESS_KEY_ID": target.access_key,
            "AWS_SECRET_ACCESS_KEY": target.secret_key,
            "AWS_REGION": target.region,
            "BUCKET_MAX_POOL_CONNECTIONS": "64",
        }
    )


async def _timed(batch: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """(seconds the batch took, longest tick gap past 1 ms in ms)."""
    stop = asyncio.Event()
    worst = 0.0

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last - 0.001)
            last = now

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.002)
    started = time.perf_counter()
    await batch()
    elapsed = time.perf_counter() - started
    stop.set()
    await tick
    return elapsed, worst * 1e3


async def _run_one(name: str, target: Target, count: int, r: int) -> dict[str, float]:
    data = bytes(SIZE)
    keys = [f"w7/{name}/{r}/{i:05d}" for i in range(count if name != "bucket-facade-direct" else DIRECT_OPS)]
    put, get, cleanup = await _ops(name, target, data)
    await put(f"w7/{name}/warm")  # clients and connections built, untimed
    await get(f"w7/{name}/warm")
    out: dict[str, float] = {}
    for op, fn in (("put", put), ("get", get)):

        async def batch(fn: Callable[[str], Awaitable[object]] = fn) -> None:
            await asyncio.gather(*(fn(k) for k in keys))

        elapsed, lag = await _timed(batch)
        out[op] = elapsed
        out[f"{op} lag_ms"] = lag
    await cleanup()
    return out


Op = Callable[[str], Awaitable[object]]
Close = Callable[[], Awaitable[None]]


async def _ops(name: str, target: Target, data: bytes) -> tuple[Op, Op, Close]:
    """put(key), get(key) and close() of one contender."""
    if name == "bucket-async":
        return _async_facade(target, data)
    if name == "obstore-async":
        return _raw_obstore(target, data)
    return _sync_facade(target, data, direct=name == "bucket-facade-direct")


def _async_facade(target: Target, data: bytes) -> tuple[Op, Op, Close]:
    from backend.src.libs.bucket import AsyncBucket

    facade, bucket = AsyncBucket(config=_config(target)), target.bucket

    async def put(key: str) -> object:
        assert await facade.upload_stream(bucket, data, key) == 0, facade.last_error
        return None

    async def get(key: str) -> object:
        assert isinstance(await facade.download_stream(bucket, key), bytes), facade.last_error
        return None

    return put, get, facade.aclose


def _raw_obstore(target: Target, data: bytes) -> tuple[Op, Op, Close]:
    import obstore
    from obstore.store import S3Store as ObS3Store

    store = ObS3Store(
        target.bucket,
        endpoint=target.endpoint,
        access_key_id=target.access_key,
        secret_access_key=target.secret_key,
        region=target.region,
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )

    async def put(key: str) -> object:
        return await obstore.put_async(store, key, data)

    async def get(key: str) -> object:
        return await (await obstore.get_async(store, key)).bytes_async()

    async def close() -> None:
        return None

    return put, get, close


def _sync_facade(target: Target, data: bytes, *, direct: bool) -> tuple[Op, Op, Close]:
    from backend.src.libs.bucket import Bucket

    sync, bucket = Bucket(config=_config(target)), target.bucket
    pool = concurrent.futures.ThreadPoolExecutor(16)

    async def put(key: str) -> object:
        if direct:  # holds the event loop for the whole request
            return sync.upload_stream(bucket, data, key)
        return await asyncio.get_running_loop().run_in_executor(pool, sync.upload_stream, bucket, data, key)

    async def get(key: str) -> object:
        if direct:
            return sync.download_stream(bucket, key)
        return await asyncio.get_running_loop().run_in_executor(pool, sync.download_stream, bucket, key)

    async def close() -> None:
        pool.shutdown()
        sync.disconnect()

    return put, get, close


def w7_async(target: Target, count: int, r: int) -> dict[tuple[str, str], float]:
    """One round of W7 for every contender: ``{(op, contender): value}``."""
    out: dict[tuple[str, str], float] = {}
    order = NAMES[r % len(NAMES):] + NAMES[: r % len(NAMES)]
    for name in order:
        for op, value in asyncio.run(_run_one(name, target, count, r)).items():
            out[(op, name)] = value
    return out
