"""``AsyncBucket``: the ``Bucket`` facade for asyncio services, as coroutines.

Same method names, arguments, return values, codes and ``last_error`` as ``Bucket``;
every method is a coroutine and none raises for a storage, network or input error.
Two routes, chosen per call before any request:

- **native**: the hot data-plane calls that ``s3.obstore``'s routing rule gives to
  obstore (``upload_stream`` of at most 64 KiB in memory, ``download_stream`` /
  ``get_file_range`` of at most 64 KiB, ``file_exists``, ``delete_file`` of the latest
  version, plain presigned GET/PUT URLs) await the store's async twins
  (``capabilities.AsyncDataPlane``) on the event loop: no thread is involved;
- **executor**: everything else runs the sync ``Bucket`` method in a bounded thread pool
  this facade owns (``max_threads``) and closes (``aclose()``), with every guarantee of
  the sync code (atomic files, no traversal, multipart aborted on failure). Each call
  runs on a ``Bucket`` of its own that borrows this facade's store; its error becomes
  the awaiting task's ``last_error``.

Building an ``AsyncBucket`` makes no request and builds nothing; the first call builds
the store (and makes the default bucket ready) in the executor. A dropped connection is
rebuilt once per failing call, as in ``Bucket``. Cancellation: ``aio.jobs`` and
``docs/async.md``. The facade holds nothing bound to an event loop, so one instance may
serve every loop of the process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import itertools
import logging
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import (
    IO,
    TYPE_CHECKING,
    Concatenate,
    ParamSpec,
    Protocol,
    Self,
    TypeVar,
    Unpack,
    cast,
)

from backend.src.libs.bucket.aio.jobs import Job, new_executor, run_job
from backend.src.libs.bucket.base.capabilities import AsyncDataPlane, Store
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import ConnectionFailed, StorageError
from backend.src.libs.bucket.base.options import WriteArguments
from backend.src.libs.bucket.base.store import Data, ListEntry, ObjectStore, ProgressCallback
from backend.src.libs.bucket.base.validation import naming
from backend.src.libs.bucket.bucket import (
    READS,
    Bucket,
    as_storage_error,
    facade_words,
    write_settings,
)
from backend.src.libs.core.codes import Log, ReturnCodes, Unknown
from backend.src.libs.core.final import FinalClass

if TYPE_CHECKING:
    from datetime import timedelta

    from backend.src.libs.bucket.s3.admin import EnsureReport

T = TypeVar("T")
P = ParamSpec("P")
T_co = TypeVar("T_co", covariant=True)

READ_CHUNK = 1024 * 1024
"""Bytes an ``AsyncReader`` asks for per executor job when iterated."""


class _CallLog:
    """The logger a per-call ``Bucket`` uses: the ``AsyncBucket``'s own
    (``bucket.AsyncBucket``), where a job stopped by its cancelled caller logs at DEBUG
    (a cancellation is not an error)."""

    def __init__(self, logger: Log, job: Job | None) -> None:
        self._logger = logger
        self._job = job

    def log(self, level: int, msg: object, *args: object) -> None:
        if self._job is not None and self._job.cancelled:
            level = min(level, logging.DEBUG)
        self._logger.log(level, msg, *args)

    debug = functools.partialmethod(log, logging.DEBUG)
    warning = functools.partialmethod(log, logging.WARNING)


class _AnyArguments(Protocol[T_co]):
    """A callable whose arguments are not checked here (``_in_executor``'s callers are
    checked against ``Bucket``'s signature instead)."""

    def __call__(self, *args: object, **kwargs: object) -> T_co: ...


REPORTS_PROGRESS = frozenset({"upload_file", "upload_stream", "download_file"})
"""The ``Bucket`` methods that take a ``progress`` callback (a test keeps this in step
with ``Bucket``'s signatures)."""


def _in_executor(
    method: Callable[Concatenate[Bucket, P], T],
) -> Callable[Concatenate[AsyncBucket, P], Awaitable[T | int]]:
    """``Bucket``'s ``method`` as a coroutine of ``AsyncBucket`` (same parameters, checked
    by mypy), run on a per-call ``Bucket`` in the executor. A ``progress`` parameter is
    given the job's callback: where a cancelled job stops, and the caller's callback is
    called on the event loop."""
    name = method.__name__
    reports = name in REPORTS_PROGRESS
    untyped = cast("_AnyArguments[T]", method)  # the callers are checked against P

    @functools.wraps(method)
    async def call(self: AsyncBucket, /, *args: P.args, **kwargs: P.kwargs) -> T | int:
        def run(view: Bucket, job: Job) -> T:
            if not reports:
                return untyped(view, *args, **kwargs)
            given = cast("ProgressCallback | None", kwargs.get("progress"))
            return untyped(view, *args, **{**kwargs, "progress": job.progress(given)})

        return await self.run_in_executor(name, run)

    return call


IN_FLIGHT = 64
"""Native (obstore) calls one ``AsyncBucket`` runs at once on one event loop; more wait."""


class AsyncBucket(ReturnCodes[StorageError], metaclass=FinalClass):
    """Object storage with return codes, for asyncio: the coroutines of ``Bucket``.

    Args:
        error, success, debug, config, store: as ``Bucket``'s (defaults 84, 0, False,
            ``BucketConfig.from_env()`` read by the first call, None).
        auto_connect: kept for ``Bucket``'s signature; the store is always built by the
            first call, in the executor (building it here would block the event loop).
        max_threads: the executor's worker threads (default ``BUCKET_POOL_SIZE``, 10 by
            default: one HTTP connection each). Calls past it wait without blocking.

    Raises:
        ValueError: ``max_threads`` is not a positive integer.

    Attributes:
        last_error, last_latency, bucket_report: as ``Bucket``'s. An executor call's
            error is set in the task that awaited it.

    One instance may be shared by every task, thread and event loop of the process.
    """

    logger_name = "bucket.AsyncBucket"
    reads = READS

    def __init__(
        self,
        error: int = 84,
        success: int = 0,
        auto_connect: bool = True,
        debug: bool = False,
        *,
        config: BucketConfig | None = None,
        store: Store | None = None,
        max_threads: int | None = None,
    ) -> None:
        self._init_codes(error=error, success=success, debug=debug)
        if max_threads is not None and (isinstance(max_threads, bool) or max_threads < 1):
            raise ValueError(f"max_threads must be a positive integer, not {max_threads!r}")
        self.last_latency: float | None = None
        self._owner = Bucket(error, success, False, debug, config=config, store=store)
        self._owner.log = _CallLog(self.log, None)
        self._max_threads = max_threads
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ready: ObjectStore | None = None  # the store, once made ready
        self._native: AsyncDataPlane | None = None  # the same store, when it has twins
        # native calls in flight, per event loop (an asyncio.Semaphore binds to one loop)
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._gates = weakref.WeakKeyDictionary()

    @property
    def bucket_report(self) -> EnsureReport | None:
        """The ``EnsureReport`` of the last ``ensure_bucket`` or of the default bucket."""
        return self._owner.bucket_report

    @property
    def config(self) -> BucketConfig:
        """The settings in use (read from the environment on first access).

        Raises:
            ConfigError: a setting is invalid (this property raises; methods do not).
        """
        return self._owner.config

    # ------------------------------------------------------------- plumbing
    _translate = staticmethod(as_storage_error)

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """The executor, built on first use (again after ``aclose``)."""
        executor = self._executor
        if executor is None:
            with self._lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor = new_executor(self._threads())
        return executor

    def _threads(self) -> int:
        if self._max_threads is not None:
            return self._max_threads
        try:
            return self.config.pool_size
        except StorageError:  # a bad setting: the first call reports it
            return 1

    async def in_thread(self, func: Callable[[Job], T]) -> T:
        """``func(job)`` in this facade's executor (cancellation: ``jobs.run_job``)."""
        return await run_job(self._pool(), func)

    def call_view(self, job: Job | None) -> Bucket:
        """A ``Bucket`` of one call on the owner's store, made ready (default bucket) on
        first use; its ``last_error`` is that call's. Call it in a worker thread."""
        store = self._owner.store
        if self._ready is not store:
            self._native = store if isinstance(store, AsyncDataPlane) else None
            self._ready = store
        view = Bucket(
            self.error, self.success, False, self.debug, config=self._owner.config, store=store
        )
        view.log = _CallLog(self.log, job)
        return view

    async def run_in_executor(self, operation: str, func: Callable[[Bucket, Job], T]) -> T | int:
        """Run ``func`` on a per-call ``Bucket`` in the executor: its result, with that
        call's ``last_error``; ``error`` when the store cannot be built."""

        def job_run(job: Job) -> tuple[T, StorageError | None, EnsureReport | None]:
            view = self.call_view(job)
            return func(view, job), view.last_error, view.bucket_report

        try:
            result, error, report = await self.in_thread(job_run)
        except Exception as exc:  # the store could not be built or made ready
            self.record_failure(operation, exc)
            return self.error
        self.last_error = error
        if report is not None:
            self._owner.bucket_report = report
        return result

    def record_failure(self, operation: str, exc: Exception) -> None:
        """Log ``exc`` once and keep it (as a ``StorageError``) in ``last_error``."""
        self._fail(operation, self._translate(exc, operation))

    async def _native_call(
        self, operation: str, attempt: Callable[[AsyncDataPlane], Awaitable[T | None]]
    ) -> T | int | None:
        """``attempt(store)`` on the event loop (an ``AsyncDataPlane`` twin), replayed once
        after a dropped connection (the clients rebuilt in the executor); ``error`` on
        failure. None when the event loop does not make it (no store built yet, no twins,
        not obstore's route): the caller runs the ``Bucket`` method in the executor."""
        store = self._native
        if store is None:
            return None
        with naming(facade_words(operation)):
            try:
                async with self._gate():
                    done = await attempt(store)
            except Exception as exc:
                error = self._translate(exc, operation)
                if not isinstance(error, ConnectionFailed) or error.code == "DeadlineExceeded":
                    self._fail(operation, error)  # Bucket's replay rule: _is_dropped
                    return self.error
                self.log.debug("%s: %s; reconnecting once", operation, error)
                try:
                    await self.in_thread(lambda job: _rebuilt(store))
                    done = await attempt(store)
                except Exception as exc2:
                    self.record_failure(operation, exc2)
                    return self.error
        if done is not None:
            self.last_error = None
        return done

    def _gate(self) -> asyncio.Semaphore:
        """At most ``IN_FLIGHT`` native calls of this facade at once on the running loop:
        1,000 calls started together would otherwise all run their checks in one loop
        turn before the first request leaves, stalling the loop."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(IN_FLIGHT)
        return gate

    # ----------------------------------------------------------- connection
    async def connect(self) -> int:
        """Drop what this facade opened, open anew and check it with one request (in
        the executor). Returns ``success`` or ``error``."""
        self._ready = self._native = None
        return await self._lifecycle(self._owner.connect)

    async def is_connected(self) -> bool:
        """True when something is open and answers one probe request (``Bucket``'s, in
        the executor). Never raises. Records ``last_latency``."""
        ok = await self._lifecycle(self._owner.is_connected)
        self.last_latency = self._owner.last_latency
        return ok

    async def health_check(self) -> bool:
        """One probe request (in the executor); never raises. Records ``last_latency``."""
        ok = await self._lifecycle(self._owner.health_check)
        self.last_latency = self._owner.last_latency
        return ok

    async def disconnect(self) -> int:
        """Release the store's connections; the next call opens new ones. Idempotent;
        returns ``success``. The executor stays (``aclose`` shuts it down)."""
        self._ready = self._native = None
        if self._executor is None:  # nothing was built: nothing blocks
            self.last_error = None
            return self._owner.disconnect()
        return await self._lifecycle(self._owner.disconnect)

    async def aclose(self) -> None:
        """``disconnect()``, then shut the executor down (waiting for its jobs). Never
        raises; idempotent; the facade may be used again (a new executor is built)."""
        await self.disconnect()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True)

    close = aclose  # Bucket.close's name

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _lifecycle(self, func: Callable[[], T]) -> T:
        """An owner's lifecycle call in the executor, its ``last_error`` copied."""

        def run(job: Job) -> tuple[T, StorageError | None]:
            return func(), self._owner.last_error

        result, error = await self.in_thread(run)
        self.last_error = error
        return result

    def __repr__(self) -> str:
        return f"<AsyncBucket of {self._owner!r}>"

    # ------------------------------------------------- the executor's calls
    get_bucket_names = _in_executor(Bucket.get_bucket_names)
    create_bucket = _in_executor(Bucket.create_bucket)
    ensure_bucket = _in_executor(Bucket.ensure_bucket)
    delete_bucket = _in_executor(Bucket.delete_bucket)
    upload_file = _in_executor(Bucket.upload_file)
    download_file = _in_executor(Bucket.download_file)
    delete_files = _in_executor(Bucket.delete_files)
    get_bucket_files = _in_executor(Bucket.get_bucket_files)
    get_bucket_file = _in_executor(Bucket.get_bucket_file)
    get_file_info = _in_executor(Bucket.get_file_info)
    set_file_metadata = _in_executor(Bucket.set_file_metadata)
    copy_file = _in_executor(Bucket.copy_file)
    move_file = _in_executor(Bucket.move_file)
    put_many = _in_executor(Bucket.put_many)
    get_many = _in_executor(Bucket.get_many)
    delete_many = _in_executor(Bucket.delete_many)
    upload_directory = _in_executor(Bucket.upload_directory)
    download_directory = _in_executor(Bucket.download_directory)
    presign_post = _in_executor(Bucket.presign_post)
    set_versioning = _in_executor(Bucket.set_versioning)
    get_versioning = _in_executor(Bucket.get_versioning)
    list_file_versions = _in_executor(Bucket.list_file_versions)
    set_bucket_encryption = _in_executor(Bucket.set_bucket_encryption)
    get_bucket_encryption = _in_executor(Bucket.get_bucket_encryption)
    delete_bucket_encryption = _in_executor(Bucket.delete_bucket_encryption)
    set_lifecycle = _in_executor(Bucket.set_lifecycle)
    get_lifecycle = _in_executor(Bucket.get_lifecycle)
    delete_lifecycle = _in_executor(Bucket.delete_lifecycle)
    set_file_tags = _in_executor(Bucket.set_file_tags)
    get_file_tags = _in_executor(Bucket.get_file_tags)
    delete_file_tags = _in_executor(Bucket.delete_file_tags)
    set_retention = _in_executor(Bucket.set_retention)
    get_retention = _in_executor(Bucket.get_retention)
    set_legal_hold = _in_executor(Bucket.set_legal_hold)
    get_bucket_info = _in_executor(Bucket.get_bucket_info)
    get_bucket_stats = _in_executor(Bucket.get_bucket_stats)

    # ------------------------------------- the calls the event loop makes
    async def upload_stream(
        self,
        bucket_name: str,
        data: Data,
        key_name: str,
        *,
        progress: ProgressCallback | None = None,
        **options: Unpack[WriteArguments],
    ) -> int:
        """``Bucket.upload_stream``: bytes or text that the store puts on the event loop
        (at most 64 KiB, options obstore expresses) go up as one native PUT; anything
        else in the executor (multipart above the threshold, aborted on failure or
        cancellation)."""
        if isinstance(data, (bytes, bytearray, memoryview, str)):
            body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            done = await self._native_call(
                "upload_stream",
                lambda store: store.aput_object(
                    bucket_name,
                    key_name,
                    body,
                    # Bucket's checks of the options, on the store made ready (the same object)
                    options=write_settings(cast("ObjectStore", store), "put_object", options)[0],
                    progress=progress,
                ),
            )
            if done is not None:
                return self.error if isinstance(done, int) else self.success
        return await _upload_stream(self, bucket_name, data, key_name, progress=progress, **options)

    async def download_stream(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> bytes | int:
        """``Bucket.download_stream``: an object of at most 64 KiB (latest version, no
        SSE-C key) in one native GET; anything else in the executor."""
        if version_id is None and sse_customer_key is None:
            done = await self._native_call(
                "download_stream", lambda store: store.aget_object(bucket_name, key_name)
            )
            if done is not None:
                return done
        return await _download_stream(
            self, bucket_name, key_name, version_id=version_id, sse_customer_key=sse_customer_key
        )

    async def get_file_range(
        self,
        bucket_name: str,
        key_name: str,
        *,
        start: int | None = None,
        end: int | None = None,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> bytes | int:
        """``Bucket.get_file_range``: a closed range of at most 64 KiB (or a small whole
        object) in one native GET; anything else in the executor."""
        if version_id is None and sse_customer_key is None:
            done = await self._native_call(
                "get_file_range",
                lambda store: store.aget_object(bucket_name, key_name, start=start, end=end),
            )
            if done is not None:
                return done
        return await _get_file_range(
            self,
            bucket_name,
            key_name,
            start=start,
            end=end,
            version_id=version_id,
            sse_customer_key=sse_customer_key,
        )

    async def file_exists(self, bucket_name: str, key_name: str) -> bool | Unknown:
        """``Bucket.file_exists``: one native HEAD where the store's route allows it."""
        done = await self._native_call(
            "file_exists", lambda store: store.aobject_exists(bucket_name, key_name)
        )
        if done is None:
            done = await _file_exists(self, bucket_name, key_name)
        return self._answer(done)

    async def bucket_exists(self, bucket_name: str) -> bool | Unknown:
        """``Bucket.bucket_exists`` in the executor."""
        return self._answer(await _bucket_exists(self, bucket_name))

    async def get_legal_hold(
        self, bucket_name: str, key_name: str, *, version_id: str | None = None
    ) -> bool | Unknown:
        """``Bucket.get_legal_hold`` in the executor."""
        return self._answer(
            await _get_legal_hold(self, bucket_name, key_name, version_id=version_id)
        )

    def _answer(self, result: object) -> bool | Unknown:
        """A yes/no call's answer, else ``Unknown(error)`` (a store that could not be
        built too)."""
        return result if isinstance(result, bool) else Unknown(self.error)

    async def delete_file(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        bypass_governance: bool = False,
    ) -> int:
        """``Bucket.delete_file``: the latest version in one native DELETE where the
        store's route allows it; a version, or a governance bypass, in the executor."""
        if version_id is None and not bypass_governance:
            done = await self._native_call(
                "delete_file", lambda store: _deleted(store.adelete_object(bucket_name, key_name))
            )
            if done is not None:
                return self.success if done is True else self.error
        return await _delete_file(
            self, bucket_name, key_name, version_id=version_id, bypass_governance=bypass_governance
        )

    async def presign_url(
        self,
        bucket_name: str,
        key_name: str,
        *,
        method: str = "GET",
        expiration: float | timedelta = 3600,
        content_type: str | None = None,
        version_id: str | None = None,
        download_name: str | None = None,
    ) -> str | int:
        """``Bucket.presign_url``: signed on the event loop by the store's own signer (no
        request, a few µs) once the store is built; before that, in the executor (which
        builds it)."""

        def sign(view: Bucket) -> str | int:
            return view.presign_url(
                bucket_name,
                key_name,
                method=method,
                expiration=expiration,
                content_type=content_type,
                version_id=version_id,
                download_name=download_name,
            )

        if self._ready is None:
            return await self.run_in_executor("presign_url", lambda view, job: sign(view))
        view = self.call_view(None)
        url = sign(view)
        self.last_error = view.last_error
        return url

    # ---------------------------------------------------- async objects
    def list_files(
        self,
        bucket_name: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int | None = None,
        start_after: str | None = None,
        page_size: int = 1000,
    ) -> AsyncListing:
        """``Bucket.list_files`` as an ``AsyncListing`` (not a coroutine): ``async for``
        yields its entries, one page fetched in the executor at a time; ``await`` fetches
        the first page and returns the listing, or ``error``. A failure (the first page's
        too, when iterated without ``await``) ends the iteration early, logs it and sets
        ``last_error``: check it after the loop.
        """
        return AsyncListing(
            self,
            lambda view: view.list_files(
                bucket_name,
                prefix=prefix,
                delimiter=delimiter,
                max_keys=max_keys,
                start_after=start_after,
                page_size=page_size,
            ),
            batch=max(1, min(page_size, 1000)) if isinstance(page_size, int) else 1000,
        )

    async def open_file(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> AsyncReader | int:
        """``Bucket.open_file`` as an ``AsyncReader`` (close it, or use ``async with``), or
        ``error``; nothing is buffered beyond what is read."""
        stream = await _open_file(
            self, bucket_name, key_name, version_id=version_id, sse_customer_key=sse_customer_key
        )
        if isinstance(stream, int):
            return stream
        return AsyncReader(self, stream)


# the executor's side of the calls written out above
_upload_stream = _in_executor(Bucket.upload_stream)
_download_stream = _in_executor(Bucket.download_stream)
_get_file_range = _in_executor(Bucket.get_file_range)
_file_exists = _in_executor(Bucket.file_exists)
_bucket_exists = _in_executor(Bucket.bucket_exists)
_get_legal_hold = _in_executor(Bucket.get_legal_hold)
_delete_file = _in_executor(Bucket.delete_file)
_open_file = _in_executor(Bucket.open_file)


async def _deleted(done: Awaitable[bool]) -> bool | None:
    """A twin's True (deleted) or None (not on the event loop), for ``_native_call``."""
    return True if await done else None


def _rebuilt(store: AsyncDataPlane) -> None:
    """Drop ``store``'s clients and build new ones (a dropped connection; in a worker)."""
    store.close()
    store.prepare_plane()


class AsyncListing:
    """The entries of one ``AsyncBucket.list_files`` call, fetched a page at a time.

    ``async for`` iterates it; ``await`` fetches the first page and returns it (or the
    facade's ``error``). Iterate it once.
    """

    def __init__(
        self,
        owner: AsyncBucket,
        start: Callable[[Bucket], Iterator[ListEntry] | int],
        *,
        batch: int,
    ) -> None:
        self._owner = owner
        self._start = start
        self._batch = batch
        self._view: Bucket | None = None
        self._iterator: Iterator[ListEntry] | None = None
        self._buffer: list[ListEntry] = []
        self._done = False

    def __await__(self) -> Generator[object, None, AsyncListing | int]:
        return self._first().__await__()

    async def _first(self) -> AsyncListing | int:
        await self._fill()
        if self._iterator is None:
            return self._owner.error
        return self

    def __aiter__(self) -> AsyncIterator[ListEntry]:
        return self

    async def __anext__(self) -> ListEntry:
        if not self._buffer and not self._done:
            await self._fill()
        if not self._buffer:
            raise StopAsyncIteration
        return self._buffer.pop(0)

    async def _fill(self) -> None:
        """Fetch the next batch in the executor (the first call starts the listing)."""
        owner = self._owner

        def fetch(job: Job) -> tuple[list[ListEntry], StorageError | None]:
            if self._view is None:
                view = self._view = owner.call_view(job)
                started = self._start(view)
                if isinstance(started, int):
                    return [], view.last_error
                self._iterator = started
            assert self._iterator is not None
            batch = list(itertools.islice(self._iterator, self._batch))
            return batch, self._view.last_error

        try:
            batch, error = await owner.in_thread(fetch)
        except Exception as exc:  # the store could not be built
            owner.record_failure("list_files", exc)
            self._done = True
            return
        owner.last_error = error
        self._buffer.extend(batch)
        if len(batch) < self._batch or error is not None:
            self._done = True


class AsyncReader:
    """A readable async stream of one object (``AsyncBucket.open_file``).

    ``await read(n)`` (``n`` < 0: to the end), ``async for chunk in reader``
    (``READ_CHUNK`` bytes at a time), ``await aclose()`` or ``async with``. Reads run in
    the facade's executor; a failure mid-body raises the ``StorageError`` the sync
    stream raises (as ``Bucket.open_file``'s file object does).
    """

    def __init__(self, owner: AsyncBucket, stream: IO[bytes]) -> None:
        self._owner = owner
        self._stream = stream
        self.closed = False

    async def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when ``size`` < 0); b"" at the end."""
        stream = self._stream
        return await self._owner.in_thread(
            lambda job: stream.read() if size < 0 else stream.read(size)
        )

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read(READ_CHUNK):
            yield chunk

    async def aclose(self) -> None:
        """Close the stream and its connection. Idempotent; never raises."""
        if self.closed:
            return
        self.closed = True
        stream = self._stream
        try:
            await self._owner.in_thread(lambda job: stream.close())
        except Exception as exc:
            self._owner.log.debug("open_file: closing: %r", exc)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


__all__ = ["AsyncBucket", "AsyncListing", "AsyncReader"]
