"""The executor side of ``AsyncBucket``: a bounded thread pool, jobs that can be told to
stop, and the one cancellation rule.

**The rule.** A thread cannot be cancelled. When the task awaiting an executor job is
cancelled, the job is *told* to stop (``Job.cancel``) and the task *waits* for it to end
before ``CancelledError`` goes on (``run_job``):

- a job stops at its next progress point: the progress callback the sync code calls
  before its first request and after every chunk it moves raises ``OperationCancelled``
  in the worker thread, and the sync code's own failure path runs as for any other
  error: s3transfer aborts the multipart upload, ``files.atomic_file`` removes the
  temporary file of a download or a local write; nothing appears under the final name;
- a job with no progress point (a listing page, bucket administration, a small read)
  runs to its end, which its per-request deadlines bound;
- a job that finished before it saw the flag keeps what it did: a single PUT that the
  server acknowledged is a whole object, a renamed download a whole file. Nothing is
  undone: deleting an overwritten key would destroy the version it replaced.

So when ``CancelledError`` reaches the caller nothing runs on its behalf any more, and
every object and file is either whole or absent. A second cancellation while waiting is
absorbed (the wait is bounded by the deadlines); ``CancelledError`` is raised once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from backend.src.libs.bucket.base.errors import StorageError

if TYPE_CHECKING:
    from backend.src.libs.bucket.base.store import ProgressCallback

T = TypeVar("T")


class OperationCancelled(StorageError):
    """Raised inside a worker thread at a progress point once the awaiting task was
    cancelled; the sync code cleans up as after any failure. Never reaches the caller,
    who gets ``asyncio.CancelledError``."""

    default_code = "Cancelled"


class Job:
    """One executor job: its cancellation flag and the progress callback it hands to the
    sync code.

    Args:
        loop: the event loop of the awaiting task (progress is reported there).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        """True once the awaiting task was cancelled."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Tell the job to stop at its next progress point."""
        self._cancelled.set()

    def check(self) -> None:
        """Raise ``OperationCancelled`` when the awaiting task was cancelled."""
        if self._cancelled.is_set():
            raise OperationCancelled("cancelled by the caller", code="Cancelled")

    def progress(self, callback: ProgressCallback | None) -> ProgressCallback:
        """The progress callback for the sync code: it stops a cancelled job (``check``)
        and calls ``callback(bytes_done, bytes_total)`` on the event loop's thread, in
        order, before the awaiting task resumes (None: no report)."""

        def report(done: int, total: int | None) -> None:
            self.check()
            if callback is not None:
                # the loop may have closed: nobody listens any more
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(callback, done, total)

        return report


def new_executor(threads: int) -> concurrent.futures.ThreadPoolExecutor:
    """A bounded pool of ``threads`` worker threads named ``abucket-N``."""
    return concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="abucket")


async def run_job(executor: concurrent.futures.Executor, func: Callable[[Job], T]) -> T:
    """Run ``func(job)`` in ``executor`` and return its result (or raise its exception).
    When the awaiting task is cancelled: a job not started yet never starts, a running one
    is told to stop and awaited to its end; then ``CancelledError`` is raised.
    """
    job = Job(asyncio.get_running_loop())
    future = executor.submit(func, job)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        job.cancel()
        await _settled(future)
        raise


async def _settled(future: concurrent.futures.Future[T]) -> None:
    """Wait until ``future`` is done, whatever it ended with, through cancellations."""
    while not future.done():
        waiter = asyncio.wrap_future(future)
        try:
            await asyncio.shield(waiter)
        except asyncio.CancelledError:
            continue  # cancelled again: the job still runs; it is bounded by its deadlines
        except Exception:
            return  # it failed: nothing runs any more


__all__ = ["Job", "OperationCancelled", "new_executor", "run_job"]
