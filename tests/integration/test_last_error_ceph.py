"""``last_error`` per thread and per asyncio task on Ceph (issue 23 item 2): 16 threads
sharing the process-wide ``runtime.bucket``, and 16 tasks sharing one ``AsyncBucket``
(the event loop's native calls and the executor's), each read their own call's error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from backend.src.libs.bucket import AsyncBucket
from backend.src.libs.bucket.s3.store import S3Store
from backend.src.libs.core import RuntimeManager
from tests.concurrency.own_errors import (
    THREADS,
    marker,
    tasks_read_their_own,
    threads_read_their_own,
)
from tests.conftest import config_for, unique_bucket_name
from tests.servers import S3Server

pytestmark = pytest.mark.integration


@pytest.fixture
def shared_bucket(ceph_server: S3Server) -> Iterator[str]:
    """A bucket holding ``present`` (4 bytes), deleted afterwards."""
    store = S3Store(config_for(ceph_server))
    name = unique_bucket_name("own")
    store.create_bucket(name)
    store.put_object(name, "present", b"here")
    yield name
    store.delete_bucket(name, force=True)
    store.close()


def test_threads_sharing_runtime_bucket_each_read_their_own_error(
    ceph_server: S3Server, shared_bucket: str
) -> None:
    """16 threads share runtime.bucket on Ceph, alternating a download that succeeds with
    one of a missing key of their own: after every call, once all have called, each reads
    None after its success and its own ObjectNotFound after its failure (one attribute
    per instance showed whichever thread ended last)."""
    runtime = RuntimeManager(isolated=True)
    runtime.configure(bucket=config_for(ceph_server, max_pool_connections=THREADS))
    bucket = runtime.bucket

    def call(index: int, round_: int, failing: bool) -> object:
        key = marker(index, round_) if failing else "present"
        if round_ % 2:
            return bucket.download_stream(shared_bucket, key)
        return bucket.get_bucket_file(shared_bucket, key)

    try:
        assert threads_read_their_own(lambda: bucket.last_error, call) == []
    finally:
        runtime.close()


def test_tasks_sharing_one_async_bucket_each_read_their_own_error(
    ceph_server: S3Server, shared_bucket: str
) -> None:
    """16 tasks share one AsyncBucket on Ceph: small downloads and file_exists on the
    event loop (obstore's route), get_file_info in the executor; after every call, once
    all have called, each task reads its own call's last_error."""

    async def run() -> list[str]:
        bucket = AsyncBucket(config=config_for(ceph_server))
        assert await bucket.file_exists(shared_bucket, "present") is True  # builds the store

        async def call(index: int, round_: int, failing: bool) -> object:
            key = marker(index, round_) if failing else "present"
            if round_ % 3 == 0:
                return await bucket.download_stream(shared_bucket, key)
            if round_ % 3 == 1:
                return await bucket.get_file_info(shared_bucket, key)
            # a missing key is an answer (False), not a failure: ask about a bad name
            return await bucket.file_exists(shared_bucket if not failing else key, key)

        try:
            return await tasks_read_their_own(lambda: bucket.last_error, call)
        finally:
            await bucket.aclose()

    assert asyncio.run(run()) == []
