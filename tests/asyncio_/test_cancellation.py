"""Cancellation at random points of 200 uploads and downloads on Ceph RGW (seeded), and of
100 on the local store: no partial object, no incomplete multipart upload, no partial or
temporary file, and the facade still works afterwards (``async_jobs``' rule).

Each operation is cancelled either by its own progress callback once a random number of
bytes has moved (so the cancellation lands mid-transfer, at a point chosen by the seed,
not by the clock), or, for the calls without progress (native small reads and writes),
after a random number of event-loop turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backend.src.libs.bucket import AsyncBucket, BucketConfig
from backend.src.libs.bucket.base.files import is_temporary
from backend.src.libs.bucket.s3.store import S3Store
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
SEED = 13


def _body(tag: str, size: int) -> bytes:
    """``size`` bytes that only ``tag`` makes (so a mixed-up object would show)."""
    block = hashlib.sha256(tag.encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


@dataclass
class Tally:
    """What happened to the operations."""

    cancelled: int = 0
    completed: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def ceph_case(ceph_server: S3Server) -> Iterator[tuple[S3Store, str, BucketConfig]]:
    """A bucket on Ceph and settings with 5 MiB multipart parts (11 MiB = 3 parts)."""
    config = config_for(ceph_server, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    store = S3Store(config)
    name = unique_bucket_name("cancel")
    store.create_bucket(name)
    yield store, name, config
    with contextlib.suppress(Exception):
        store.delete_bucket(name, force=True)
    store.close()


async def _cancel_after_turns(task: asyncio.Task[object], turns: int) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()


async def _one(
    bucket: AsyncBucket,
    name: str,
    index: int,
    rng: random.Random,
    files: Path,
    sources: dict[str, Path],
) -> tuple[str, str, bool]:
    """Run operation ``index`` and cancel it; (kind, key or path, cancelled)."""
    kinds = ["native-put", "single-put", "multipart-file", "download-file", "native-get"]
    kind = kinds[index % len(kinds)]
    key = f"op-{index:03d}"
    sizes = {"native-put": 16 * 1024, "single-put": MiB, "multipart-file": 11 * MiB}
    task: asyncio.Task[object]
    cut = rng.randrange(1, 11 * MiB)

    def stop_at(done: int, total: int | None) -> None:
        if done >= cut % max(total or 1, 1):
            task.cancel()

    if kind == "native-put":
        coro = bucket.upload_stream(name, _body(key, sizes[kind]), key)
    elif kind == "single-put":
        coro = bucket.upload_stream(name, _body(key, sizes[kind]), key, progress=stop_at)
    elif kind == "multipart-file":
        coro = bucket.upload_file(name, sources[key], key, progress=stop_at)
    elif kind == "download-file":
        coro = bucket.download_file(name, "source-11m", files / f"{key}.bin", progress=stop_at)
    else:
        coro = bucket.download_stream(name, "source-16k")
    task = asyncio.ensure_future(coro)
    canceller = None
    if kind in ("native-put", "native-get"):
        canceller = asyncio.ensure_future(_cancel_after_turns(task, rng.randrange(0, 12)))
    try:
        await task
    except asyncio.CancelledError:
        return kind, key, True
    finally:
        if canceller is not None:
            await canceller
    return kind, key, False


async def _storm(bucket: AsyncBucket, name: str, count: int, files: Path, tmp: Path) -> Tally:
    rng = random.Random(SEED)
    sources: dict[str, Path] = {}
    for index in range(count):
        if index % 5 == 2:
            key = f"op-{index:03d}"
            path = sources[key] = tmp / f"{key}.src"
            path.write_bytes(_body(key, 11 * MiB))
    tally = Tally()
    for start in range(0, count, 10):  # ten at a time
        results = await asyncio.gather(
            *(
                _one(bucket, name, i, rng, files, sources)
                for i in range(start, min(start + 10, count))
            )
        )
        for kind, _key, cancelled in results:
            tally.kinds[kind] = tally.kinds.get(kind, 0) + 1
            if cancelled:
                tally.cancelled += 1
            else:
                tally.completed += 1
    return tally


def _check_objects(read: dict[str, bytes], count: int) -> tuple[int, int]:
    """Every uploaded key is absent or whole: (whole, absent)."""
    sizes = {0: 16 * 1024, 1: MiB, 2: 11 * MiB}
    whole = absent = 0
    for index in range(count):
        if index % 5 not in sizes:
            continue
        key = f"op-{index:03d}"
        if key not in read:
            absent += 1
            continue
        assert read[key] == _body(key, sizes[index % 5]), f"{key} is partial or mixed up"
        whole += 1
    return whole, absent


def _check_files(files: Path, source: bytes) -> int:
    """Every downloaded file is whole; no temporary file anywhere. The count of files."""
    found = list(files.iterdir())
    assert not [p.name for p in found if is_temporary(p.name)]
    for path in found:
        assert path.read_bytes() == source, f"{path.name} is partial"
    return len(found)


def test_cancelled_transfers_leave_nothing_partial_on_ceph(
    ceph_case: tuple[S3Store, str, BucketConfig], tmp_path: Path
) -> None:
    """200 uploads (native PUT, single PUT, 3-part multipart upload) and downloads
    (ranged download to a file, native GET) cancelled at seeded points: zero incomplete
    multipart uploads, every key absent or whole, every file whole, no temporary file,
    and the same AsyncBucket uploads and downloads afterwards."""
    store, name, config = ceph_case
    store.put_object(name, "source-11m", _body("source-11m", 11 * MiB))
    store.put_object(name, "source-16k", _body("source-16k", 16 * 1024))
    files = tmp_path / "files"
    files.mkdir()

    async def scenario() -> tuple[Tally, bytes | int, int]:
        async with AsyncBucket(config=config) as bucket:
            tally = await _storm(bucket, name, 200, files, tmp_path)
            after = await bucket.upload_stream(name, b"still usable", "after")
            return tally, await bucket.download_stream(name, "after"), after

    tally, read_back, code = asyncio.run(scenario())
    assert code == 0 and read_back == b"still usable"
    assert sum(tally.kinds.values()) == 200
    assert tally.cancelled > 0
    uploads = store.client.list_multipart_uploads(Bucket=name).get("Uploads", [])
    assert uploads == []
    read = {
        e.key: store.get_object(name, e.key)
        for e in store.list_objects(name, prefix="op-")  # type: ignore[union-attr]
    }
    whole, absent = _check_objects(read, 200)
    assert whole + absent == 120
    downloaded = _check_files(files, _body("source-11m", 11 * MiB))
    assert downloaded <= 40
    print(f"ceph: {tally}; objects whole {whole}, absent {absent}; files whole {downloaded}")


def test_cancelled_transfers_leave_nothing_partial_on_local_store(tmp_path: Path) -> None:
    """The same storm (100 operations) on the local folder store: every key absent or
    whole, no temporary file in the store's root or beside the downloads."""
    root = tmp_path / "root"
    config = BucketConfig(
        storage_type="local",
        local_root=str(root),
        multipart_threshold=5 * MiB,
        multipart_chunksize=5 * MiB,
    )
    files = tmp_path / "files"
    files.mkdir()

    async def scenario() -> tuple[Tally, dict[str, bytes]]:
        async with AsyncBucket(config=config) as bucket:
            assert await bucket.create_bucket("local-cancel") == 0
            await bucket.upload_stream("local-cancel", _body("source-11m", 11 * MiB), "source-11m")
            await bucket.upload_stream("local-cancel", _body("source-16k", 16 * 1024), "source-16k")
            tally = await _storm(bucket, "local-cancel", 100, files, tmp_path)
            read: dict[str, bytes] = {}
            async for entry in bucket.list_files("local-cancel", prefix="op-"):
                data = await bucket.download_stream("local-cancel", entry.key)  # type: ignore[union-attr]
                assert isinstance(data, bytes)
                read[entry.key] = data  # type: ignore[union-attr]
            return tally, read

    tally, read = asyncio.run(scenario())
    assert sum(tally.kinds.values()) == 100
    assert tally.cancelled > 0
    whole, absent = _check_objects(read, 100)
    assert whole + absent == 60
    _check_files(files, _body("source-11m", 11 * MiB))
    assert not [p for p in root.rglob("*") if is_temporary(p.name)]
    print(f"local: {tally}; objects whole {whole}, absent {absent}")
