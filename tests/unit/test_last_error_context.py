"""``last_error`` per thread and per asyncio task (issue 23 item 2), with no server: the
local store, and a bare ``ReturnCodes`` facade (the mechanism ``Redis`` and ``SQL``
share; their own runs are in tests/runtime/test_last_error_peers.py, Ceph's in
tests/integration/test_last_error_ceph.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import weakref
from pathlib import Path

from backend.src.libs.bucket import AsyncBucket, Bucket, BucketConfig, ObjectNotFound
from backend.src.libs.core.codes import ReturnCodes
from tests.concurrency.own_errors import marker, tasks_read_their_own, threads_read_their_own

BUCKET = "shared"


def _local(tmp_path: Path) -> BucketConfig:
    return BucketConfig(storage_type="local", local_root=str(tmp_path))


def _with_bucket(tmp_path: Path) -> Bucket:
    bucket = Bucket(config=_local(tmp_path))
    assert bucket.create_bucket(BUCKET) == bucket.success
    assert bucket.upload_stream(BUCKET, b"here", "present") == bucket.success
    return bucket


class Echo(ReturnCodes[Exception]):
    """The smallest return-code facade: ``run(text, failing)`` fails with ``text``."""

    logger_name = "bucket.tests.Echo"

    def __init__(self) -> None:
        self._init_codes(error=84, success=0, debug=False)

    def _translate(self, exc: Exception, operation: str) -> Exception:
        return exc

    def run(self, text: str, failing: bool) -> int:
        def body() -> None:
            if failing:
                raise ValueError(text)

        return self._code("run", body)


def test_threads_sharing_one_bucket_each_read_their_own_last_error(tmp_path: Path) -> None:
    """16 threads share one Bucket on the local store and alternate a download that
    succeeds with one of a missing key of their own; after every call each thread reads
    last_error once all have called: None after its success, the ObjectNotFound naming
    its own key after its failure (one attribute per instance showed the last caller's)."""
    bucket = _with_bucket(tmp_path)

    def call(index: int, round_: int, failing: bool) -> object:
        return bucket.download_stream(BUCKET, marker(index, round_) if failing else "present")

    assert threads_read_their_own(lambda: bucket.last_error, call) == []


def test_tasks_sharing_one_async_bucket_each_read_their_own_last_error(tmp_path: Path) -> None:
    """16 asyncio tasks share one AsyncBucket on the local store (every call in its
    executor): after every call each task reads last_error once all have called, and sees
    its own call's answer: the executor job's error becomes the awaiting task's."""
    _with_bucket(tmp_path)

    async def run() -> list[str]:
        bucket = AsyncBucket(config=_local(tmp_path))

        async def call(index: int, round_: int, failing: bool) -> object:
            key = marker(index, round_) if failing else "present"
            if round_ % 2:  # two executor calls: a read, and a head
                return await bucket.download_stream(BUCKET, key)
            return await bucket.get_file_info(BUCKET, key)

        try:
            return await tasks_read_their_own(lambda: bucket.last_error, call)
        finally:
            await bucket.aclose()

    assert asyncio.run(run()) == []


def test_the_mechanism_is_the_facades_own_redis_and_sql_included() -> None:
    """A bare ReturnCodes facade (the base of Bucket, AsyncBucket, Redis and SQL): 16
    threads and 16 tasks sharing it each read their own last_error."""
    echo = Echo()

    def call(index: int, round_: int, failing: bool) -> object:
        return echo.run(marker(index, round_), failing)

    assert threads_read_their_own(lambda: echo.last_error, call) == []

    async def acall(index: int, round_: int, failing: bool) -> object:
        await asyncio.sleep(0)
        return echo.run(marker(index, round_), failing)

    assert asyncio.run(tasks_read_their_own(lambda: echo.last_error, acall)) == []


def test_a_thread_or_task_never_sees_an_error_it_did_not_cause(tmp_path: Path) -> None:
    """Another thread's failure is not the caller's: a thread starts with last_error None
    (threads begin with an empty context), a failure in a thread that ended is not seen by
    the main thread, a task starts with what its creator had when it was created, and a
    task's own calls (awaited executor jobs included) change its last_error only."""
    bucket = _with_bucket(tmp_path)
    assert bucket.download_stream(BUCKET, "main-missing") == bucket.error
    main_error = bucket.last_error
    assert isinstance(main_error, ObjectNotFound)

    seen: list[object] = []

    def other() -> None:
        seen.append(bucket.last_error)  # nothing yet in this thread
        bucket.download_stream(BUCKET, "thread-missing")
        seen.append(bucket.last_error)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen[0] is None
    assert isinstance(seen[1], ObjectNotFound) and seen[1].key == "thread-missing"
    assert bucket.last_error is main_error  # the thread's failure stays the thread's

    abucket = AsyncBucket(config=_local(tmp_path))

    async def child() -> tuple[object, object]:
        inherited = abucket.last_error
        assert await abucket.list_files("no-such-bucket") == abucket.error  # a listing
        assert abucket.last_error is not None and abucket.last_error.bucket == "no-such-bucket"
        assert await abucket.download_stream(BUCKET, "task-missing") == abucket.error
        return inherited, abucket.last_error

    async def parent() -> None:
        assert await abucket.download_stream(BUCKET, "parent-missing") == abucket.error
        mine = abucket.last_error
        assert isinstance(mine, ObjectNotFound) and mine.key == "parent-missing"
        inherited, own = await asyncio.create_task(child())
        assert inherited is mine  # a task starts from its creator's context
        assert isinstance(own, ObjectNotFound) and own.key == "task-missing"
        assert abucket.last_error is mine  # the child's failure is the child's
        assert await abucket.download_stream(BUCKET, "present") == b"here"
        assert abucket.last_error is None
        await abucket.aclose()

    asyncio.run(parent())


def test_a_failed_facade_that_is_dropped_is_freed(tmp_path: Path) -> None:
    """The errors kept per thread and task hold no facade alive: a Bucket whose last call
    failed in this thread (its error's traceback refers to it) is garbage once dropped,
    and so is a bare facade; the next facade starts with last_error None. (Logging is
    off here: a handler that keeps records, as pytest's does, keeps their errors.)"""
    logging.disable(logging.CRITICAL)
    try:
        bucket = Bucket(config=_local(tmp_path))
        assert bucket.download_stream("nowhere", "k") == bucket.error
        echo = Echo()
        assert echo.run("gone", True) == echo.error
    finally:
        logging.disable(logging.NOTSET)
    refs = [weakref.ref(bucket), weakref.ref(echo)]
    del bucket, echo
    gc.collect()
    assert [ref() for ref in refs] == [None, None]
    assert Echo().last_error is None
