"""Multipart and parallel transfers through s3transfer, with progress.

s3transfer already splits, parallelises, retries parts and aborts a failed multipart
upload; this module only configures it from ``BucketConfig`` and adapts its progress
events to ``progress(bytes_done, bytes_total)``. Nothing here retries on its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from backend.src.libs.bucket.config import BucketConfig
from backend.src.libs.bucket.errors import InvalidArgument
from backend.src.libs.bucket.store import ProgressCallback

if TYPE_CHECKING:
    from s3transfer.manager import TransferConfig, TransferManager


def transfer_config(config: BucketConfig, settings: TransferSettings | None = None) -> TransferConfig:
    """s3transfer settings from the store's config (threshold, part size, threads),
    with the per-call ``settings`` on top."""
    from s3transfer.manager import TransferConfig

    settings = settings or TransferSettings()
    return TransferConfig(
        multipart_threshold=settings.threshold(config),
        multipart_chunksize=settings.chunk(config),
        max_request_concurrency=settings.concurrency(config),
    )


MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000


@dataclass(frozen=True)
class TransferSettings:
    """Per-call overrides of the store's multipart settings; None keeps the store's.

    Attributes:
        multipart_threshold: bytes from which an upload or download goes multipart
            (>= 1; default ``BUCKET_MULTIPART_THRESHOLD``, 8 MiB).
        part_size: bytes per part, 5 MiB .. 5 GiB (default ``BUCKET_MULTIPART_CHUNKSIZE``).
        max_concurrency: parallel part requests, 1 .. 1024 (default ``BUCKET_MAX_WORKERS``);
            above the store's HTTP pool size, requests wait for a pooled connection.

    Raises:
        InvalidArgument: a value outside its bounds (names it).
    """

    multipart_threshold: int | None = None
    part_size: int | None = None
    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        for name, low, high in (
            ("multipart_threshold", 1, MAX_PART_SIZE * MAX_PARTS),
            ("part_size", MIN_PART_SIZE, MAX_PART_SIZE),
            ("max_concurrency", 1, 1024),
        ):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidArgument(f"{name} must be an integer between {low} and {high}, not {value!r}")

    def threshold(self, config: BucketConfig) -> int:
        """The multipart threshold in force."""
        return self.multipart_threshold if self.multipart_threshold is not None else config.multipart_threshold

    def chunk(self, config: BucketConfig) -> int:
        """The part size in force."""
        return self.part_size if self.part_size is not None else config.multipart_chunksize

    def concurrency(self, config: BucketConfig) -> int:
        """The number of parallel part requests in force."""
        return self.max_concurrency if self.max_concurrency is not None else config.max_workers


def _subscribers(progress: ProgressCallback | None, size: int | None) -> list[Any]:
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

    return [Subscriber()]


def _manager(client: Any, config: BucketConfig, settings: TransferSettings | None = None) -> TransferManager:
    from s3transfer.manager import TransferManager

    return TransferManager(client, transfer_config(config, settings))


def upload(
    client: Any,
    config: BucketConfig,
    source: str | IO[bytes],
    bucket: str,
    key: str,
    *,
    extra_args: dict[str, Any],
    size: int | None,
    progress: ProgressCallback | None,
    settings: TransferSettings | None = None,
) -> int:
    """Upload a file name or a binary stream (any length); multipart above the threshold.

    Returns:
        The number of bytes uploaded (counted as they go, so streams of unknown length
        are measured too).

    On failure s3transfer aborts the multipart upload and the error propagates.
    """
    subscribers = _subscribers(progress, size)
    with _manager(client, config, settings) as manager:
        future = manager.upload(
            source, bucket, key, extra_args=extra_args, subscribers=subscribers
        )
        future.result()
    return int(subscribers[0].done)


def download(
    client: Any,
    config: BucketConfig,
    bucket: str,
    key: str,
    path: str,
    *,
    size: int,
    extra_args: dict[str, Any] | None = None,
    progress: ProgressCallback | None,
    settings: TransferSettings | None = None,
) -> None:
    """Download to ``path`` with parallel ranged GETs; s3transfer writes a temporary file
    beside ``path`` and renames it when complete (removed on failure). ``settings``
    overrides the part size and concurrency for this call."""
    with _manager(client, config, settings) as manager:
        future = manager.download(
            bucket,
            key,
            path,
            extra_args=extra_args or {},
            subscribers=_subscribers(progress, size),
        )
        future.result()
