"""Multipart uploads through s3transfer, parallel ranged downloads, progress.

Uploads: s3transfer splits, parallelises, retries parts and aborts a failed multipart
upload; this module configures it from ``BucketConfig``, keeps the ``TransferManager``s of
a store (``Transfers``) and adapts its progress events to ``progress(bytes_done,
bytes_total)``. Write-once uploads that may not rely on ``If-None-Match`` at
CompleteMultipartUpload (every server but AWS S3, see ``docs/reliability.md``) go up as
one conditional PUT of at most ``MAX_SINGLE_PUT`` bytes (``Transfers.upload_once``).

Downloads: ``ranged_download`` continues a GET already made with parallel ranged GETs.
Nothing here retries requests: botocore does, and the store resumes a dropped body.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, cast

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.files import flushing
from backend.src.libs.bucket.base.options import MAX_PART_SIZE
from backend.src.libs.bucket.base.options import MAX_PARTS as MAX_PARTS
from backend.src.libs.bucket.base.options import MAX_SINGLE_PUT as MAX_SINGLE_PUT
from backend.src.libs.bucket.base.options import TransferSettings as TransferSettings
from backend.src.libs.bucket.base.store import ProgressCallback

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from s3transfer.manager import TransferConfig, TransferManager


def transfer_config(
    config: BucketConfig, settings: TransferSettings | None = None
) -> TransferConfig:
    """s3transfer settings from the store's config with the per-call ``settings`` on top."""
    from s3transfer.manager import TransferConfig

    settings = settings or TransferSettings()
    return TransferConfig(
        multipart_threshold=settings.threshold(config),
        multipart_chunksize=settings.chunk(config),
        max_request_concurrency=settings.concurrency(config),
    )


SPOOL_CHUNK = 1024 * 1024


def _subscriber(progress: ProgressCallback | None, size: int | None) -> Any:
    from s3transfer.subscribers import BaseSubscriber

    class Subscriber(BaseSubscriber):
        """Gives s3transfer the size we already know and reports progress."""

        def __init__(self) -> None:
            self.done = 0
            self._lock = threading.Lock()

        def on_queued(self, future: Any, **kwargs: Any) -> None:
            if size is not None:
                future.meta.provide_transfer_size(size)

        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            with self._lock:
                self.done += bytes_transferred
                done = self.done
            if progress is not None:
                progress(done, size)

    return Subscriber()


@dataclass(frozen=True)
class Uploaded:
    """The bytes an upload sent (counted as they go), and the ETag (quotes stripped; None
    if the server sent none) and version id (None unversioned) the server answered to the
    request that created the object (PutObject or CompleteMultipartUpload)."""

    size: int
    etag: str | None = None
    version_id: str | None = None


_ANSWER: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "bucket_transfer_answer", default=None
)
"""The dict an upload's creating response is recorded into (``_record_answer``), set
around one upload's submission and seen by its tasks only (``_context_pool``): concurrent
uploads, even of one key, each get their own answer."""

_RECORDED = ("PutObject", "CompleteMultipartUpload")


def _record_answer(http_response: Any = None, parsed: Any = None, **kwargs: Any) -> None:
    """botocore ``after-call`` hook: keep the ETag and VersionId of a successful
    PutObject / CompleteMultipartUpload made by a task of an upload (s3transfer's future
    returns no response), into that upload's ``_ANSWER`` dict.

    Ceph RGW 16 answers CompleteMultipartUpload with an empty ``<ETag/>``: the ETag is
    then computed from the parts' ETags (``_record_parts``), as the server reports it.
    """
    answer = _ANSWER.get()
    if answer is None or not isinstance(parsed, dict) or "Error" in parsed:
        return
    if http_response is not None and getattr(http_response, "status_code", 200) >= 300:
        return
    etag = str(parsed.get("ETag") or "").strip('"') or _multipart_etag(answer.get("parts"))
    answer["etag"] = etag
    answer["version_id"] = parsed.get("VersionId")


def _record_parts(params: Any = None, **kwargs: Any) -> None:
    """botocore ``before-parameter-build`` hook of CompleteMultipartUpload: keep the
    parts' ETags of an upload's completion (in that upload's context only)."""
    answer = _ANSWER.get()
    if answer is None or not isinstance(params, dict):
        return
    parts = params.get("MultipartUpload", {}).get("Parts", [])
    ordered = sorted(parts, key=lambda part: int(part.get("PartNumber", 0)))
    answer["parts"] = [str(part.get("ETag", "")) for part in ordered]


def _multipart_etag(parts: list[str] | None) -> str | None:
    """S3's multipart ETag: MD5 of the parts' binary MD5s, then ``-{number of parts}``;
    None when a part's ETag is not an MD5 (then nothing is guessed)."""
    if not parts:
        return None
    try:
        digests = b"".join(bytes.fromhex(etag.strip('"')) for etag in parts)
    except ValueError:
        return None
    if len(digests) != 16 * len(parts):
        return None
    return f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"


def _hook_answers(client: Any) -> None:
    """Register the answer hooks on ``client`` (idempotent: one ``unique_id`` each)."""
    events = client.meta.events
    for operation in _RECORDED:
        events.register(
            f"after-call.s3.{operation}",
            _record_answer,
            unique_id=f"bucket.transfer.record-answer.{operation}",
        )
    events.register(
        "before-parameter-build.s3.CompleteMultipartUpload",
        _record_parts,
        unique_id="bucket.transfer.record-parts",
    )


THREAD_PREFIX = "bucket-transfer"
"""The name prefix of the transfer managers' threads."""


@functools.cache
def _context_pool() -> type[ThreadPoolExecutor]:
    """A thread pool class for s3transfer that runs each task in a copy of the context it
    was submitted from: every task of an upload, and only of that upload, sees its
    ``_ANSWER`` dict, whichever pooled thread runs it."""
    from concurrent.futures import Future, ThreadPoolExecutor

    class ContextPool(ThreadPoolExecutor):
        def __init__(self, max_workers: int | None = None) -> None:
            super().__init__(max_workers=max_workers, thread_name_prefix=THREAD_PREFIX)

        def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)

    return ContextPool


MAX_MANAGERS = 4
"""Managers a store keeps at most (``Transfers``)."""


@dataclass
class _Entry:
    """A manager and the uploads running through it."""

    manager: TransferManager
    client: Any
    running: int = 0
    retired: bool = False


class Transfers:
    """The s3transfer ``TransferManager``s of one store (``docs/architecture.md``,
    "Transfers"): one per set of settings in force, up to ``MAX_MANAGERS`` (past that, one
    of its own, shut down after its upload), plus one for write-once single PUTs.

    ``close()`` retires every manager: an idle one is shut down at once, the others by
    their last upload (it neither waits for nor cancels them); so is a manager built on a
    client the store has since replaced. s3transfer's ``shutdown(cancel=True)`` is never
    used (it mis-passes its arguments and raises).

    Args:
        client: gives the store's current boto3 client (built on first use).

    Thread-safety: one instance is shared by every thread of its store.
    """

    def __init__(self, client: Callable[[], Any], config: BucketConfig) -> None:
        self._client = client
        self._config = config
        self._lock = threading.Lock()
        self._managers: dict[tuple[object, ...], _Entry] = {}

    def upload(
        self,
        source: str | IO[bytes],
        bucket: str,
        key: str,
        *,
        extra_args: dict[str, Any],
        size: int | None,
        progress: ProgressCallback | None,
        settings: TransferSettings | None = None,
    ) -> Uploaded:
        """Upload a file name or a binary stream (any length); multipart above the threshold.
        On failure s3transfer aborts the multipart upload and the error propagates."""
        tconfig = transfer_config(self._config, settings)
        kind = (
            "upload",
            tconfig.multipart_threshold,
            tconfig.multipart_chunksize,
            tconfig.max_request_concurrency,
        )
        return self._run(kind, tconfig, source, bucket, key, extra_args, size, progress)

    def upload_once(
        self,
        source: str | IO[bytes],
        bucket: str,
        key: str,
        *,
        extra_args: dict[str, Any],
        size: int,
        progress: ProgressCallback | None,
    ) -> Uploaded:
        """Upload a file name or a seekable stream of ``size`` bytes as ONE PutObject
        carrying ``If-None-Match: *``, whatever the multipart threshold, so an existing
        object is never replaced (412, raised as s3transfer raises it). A stream is lent
        to s3transfer and stays open.

        Raises:
            ValueError: ``size`` above ``MAX_SINGLE_PUT`` (the caller checks first).
        """
        if size > MAX_SINGLE_PUT:
            raise ValueError(f"{size} bytes do not fit one PUT ({MAX_SINGLE_PUT} at most)")
        tconfig = transfer_config(self._config)
        tconfig.multipart_threshold = MAX_PART_SIZE * MAX_PARTS  # never reached: one PUT
        body: str | IO[bytes] = (
            source if isinstance(source, str) else cast(IO[bytes], _Lent(source))
        )
        extra = {**extra_args, "IfNoneMatch": "*"}
        return self._run(("once",), tconfig, body, bucket, key, extra, size, progress)

    def close(self) -> None:
        """Retire every manager (see the class); the next upload builds new ones.
        Idempotent; never raises."""
        with self._lock:
            entries = list(self._managers.values())
            self._managers.clear()
            idle = [entry for entry in entries if not self._retire(entry)]
        for entry in idle:
            _shutdown(entry)

    def _run(
        self,
        kind: tuple[object, ...],
        tconfig: TransferConfig,
        source: str | IO[bytes],
        bucket: str,
        key: str,
        extra_args: dict[str, Any],
        size: int | None,
        progress: ProgressCallback | None,
    ) -> Uploaded:
        subscriber = _subscriber(progress, size)
        answer: dict[str, Any] = {}
        entry = self._take(kind, tconfig)
        token = _ANSWER.set(answer)
        try:
            future = entry.manager.upload(
                source, bucket, key, extra_args=extra_args, subscribers=[subscriber]
            )
            future.result()
        finally:
            _ANSWER.reset(token)
            self._give_back(entry)
        return Uploaded(
            size=subscriber.done, etag=answer.get("etag"), version_id=answer.get("version_id")
        )

    def _take(self, kind: tuple[object, ...], tconfig: TransferConfig) -> _Entry:
        """The manager for ``kind``, counted as running one more upload."""
        client = self._client()  # outside the lock: may build the client
        stale: _Entry | None = None
        with self._lock:
            entry = self._managers.get(kind)
            if entry is not None and entry.client is not client:
                del self._managers[kind]
                stale = None if self._retire(entry) else entry
                entry = None
            if entry is None:
                entry = _Entry(self._build(client, kind, tconfig), client)
                if len(self._managers) < MAX_MANAGERS:
                    self._managers[kind] = entry
                else:
                    entry.retired = True  # a manager of its own, shut down after the upload
            entry.running += 1
        if stale is not None:
            _shutdown(stale)
        return entry

    def _give_back(self, entry: _Entry) -> None:
        with self._lock:
            entry.running -= 1
            last = entry.retired and entry.running == 0
        if last:
            _shutdown(entry)

    @staticmethod
    def _retire(entry: _Entry) -> bool:
        """Mark ``entry`` retired (under the lock); True while uploads still run on it."""
        entry.retired = True
        return entry.running > 0

    @staticmethod
    def _build(client: Any, kind: tuple[object, ...], tconfig: TransferConfig) -> TransferManager:
        from s3transfer.manager import TransferManager

        _hook_answers(client)
        # as many uploads may be in submission at once as there are part requests
        tconfig.max_submission_concurrency = max(
            tconfig.max_submission_concurrency, tconfig.max_request_concurrency
        )
        manager_class = _write_once_manager() if kind == ("once",) else TransferManager
        return manager_class(client, tconfig, executor_cls=_context_pool())


def _shutdown(entry: _Entry) -> None:
    """Shut a retired manager down (its uploads are done: nothing to wait for)."""
    with contextlib.suppress(Exception):
        entry.manager.shutdown()


@functools.cache
def _write_once_manager() -> type[TransferManager]:
    """A ``TransferManager`` that lets ``IfNoneMatch`` through to PutObject (s3transfer
    filters it out of ``extra_args``), for ``upload_once``'s single PUTs (botocore would
    refuse it on CreateMultipartUpload, never drop it silently)."""
    from s3transfer.manager import TransferManager

    class WriteOnceManager(TransferManager):
        ALLOWED_UPLOAD_ARGS = [  # noqa: RUF012 (s3transfer declares it a plain list)
            *TransferManager.ALLOWED_UPLOAD_ARGS,
            "IfNoneMatch",
        ]

    return WriteOnceManager


class _Lent:
    """A caller's seekable stream lent to s3transfer, which closes the body of a single PUT
    when done: closing this leaves the caller's stream open."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def read(self, amt: int | None = -1) -> bytes:
        return self._stream.read(-1 if amt is None else amt)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        pass


class CountingReader:
    """A caller's binary stream as obstore's multipart upload reads it (``chunks``): the
    bytes read are counted and reported to ``progress(done, size)`` (``size`` None:
    unknown) after each read, and the first exception raised by the stream or by
    ``progress`` is kept (``error``) for the caller to re-raise as itself. The stream is
    never closed here.

    Thread-safety: reads may come from any thread, one at a time or not.
    """

    def __init__(
        self, stream: IO[bytes], size: int | None, progress: ProgressCallback | None
    ) -> None:
        self._stream = stream
        self._size = size
        self._progress = progress
        self._lock = threading.Lock()
        self.done = 0
        self.error: BaseException | None = None

    def read(self, amt: int | None = -1) -> bytes:
        try:
            chunk = self._stream.read(-1 if amt is None else amt)
            with self._lock:
                self.done += len(chunk)
                done = self.done
            if self._progress is not None and chunk:
                self._progress(done, self._size)
        except BaseException as exc:
            if self.error is None:
                self.error = exc
            raise
        return chunk

    def chunks(self, size: int = SPOOL_CHUNK) -> Iterator[bytes]:
        """The stream's bytes to its end, in reads of ``size`` bytes (default 1 MiB)."""
        while chunk := self.read(size):
            yield chunk


def spool(stream: IO[bytes], *, memory: int, limit: int) -> tuple[IO[bytes], int]:
    """Copy a stream of unknown length into a re-readable spool: in memory up to ``memory``
    bytes, then a temporary file (removed when closed). Reads at most ``limit + 1`` bytes:
    a returned size above ``limit`` means the stream is longer (the rest is left unread).

    Returns:
        The spool, rewound, and its size. The caller closes it.
    """
    out = tempfile.SpooledTemporaryFile(max_size=max(memory, 1), prefix="bucket-spool-")  # noqa: SIM115
    size = 0
    try:
        while size <= limit:
            chunk = stream.read(min(SPOOL_CHUNK, limit + 1 - size))
            if not chunk:
                break
            out.write(chunk)
            size += len(chunk)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return cast("IO[bytes]", out), size


def read_ahead(stream: IO[bytes], size: int) -> tuple[bytes, IO[bytes]]:
    """Read up to ``size`` bytes of ``stream``: those bytes, and a stream that yields them
    and then the rest of ``stream``."""
    head = bytearray()
    while len(head) < size:
        chunk = stream.read(size - len(head))
        if not chunk:
            break
        head += chunk
    return bytes(head), io.BufferedReader(_Chained(bytes(head), stream), SPOOL_CHUNK)


class _Chained(io.RawIOBase):
    """``head``, then the rest of ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._rest.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)


def ranged_download(
    fd: int,
    first: Any,
    size: int,
    *,
    fetch: Callable[[int, int], Any],
    chunks: Callable[[Any, int, int | None], Iterable[bytes]],
    part_size: int,
    concurrency: int,
    progress: ProgressCallback | None,
    received: int | None = None,
) -> None:
    """Write an object of ``size`` bytes into ``fd`` (positional writes): the body of
    ``first`` (a GET of its first bytes, already made) from offset 0, the rest as parallel
    ranged GETs.

    Not s3transfer: it needs the size first (a HEAD) and cannot use a GET already made.
    Here a small object costs one GET, a large one one GET per part. The first failure
    cancels the parts not started and is raised. The bytes written are flushed to disk in
    the background (``files.flushing``), so the caller's final fsync only flushes the tail.

    Args:
        fetch: ``fetch(start, end)`` makes a ranged GET for bytes ``start..end`` (pinned
            to the first response's ETag).
        chunks: ``chunks(response, start, end)`` yields a response's body (resumed
            mid-body).
        part_size: bytes per ranged GET; ``concurrency``: parallel ranged GETs.
        received: the length of ``first``'s body (default: its ``ContentLength``).
    """
    from concurrent.futures import ThreadPoolExecutor

    lock = threading.Lock()
    done = 0

    def write(response: Any, start: int, end: int | None) -> None:
        nonlocal done
        offset = start
        for chunk in chunks(response, start, end):
            view = memoryview(chunk)
            while view:
                written = os.pwrite(fd, view, offset)
                offset += written
                view = view[written:]
            flush.wrote(len(chunk))
            if progress is not None:
                with lock:
                    done += len(chunk)
                    now = done
                progress(now, size)

    if received is None:
        received = int(first.get("ContentLength", 0))
    rest = [(start, min(start + part_size, size) - 1) for start in range(received, size, part_size)]
    with flushing(fd) as flush:  # every chunk written is reported to it (write)
        if not rest:
            write(first, 0, None)
            return
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(rest)))) as pool:
            futures = [pool.submit(lambda span: write(fetch(*span), *span), span) for span in rest]
            try:
                write(first, 0, received - 1)
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
