"""Multipart and parallel transfers through s3transfer, with progress.

s3transfer already splits, parallelises, retries parts and aborts a failed multipart
upload; this module only configures it from ``BucketConfig`` and adapts its progress
events to ``progress(bytes_done, bytes_total)``. Nothing here retries on its own.
"""

from __future__ import annotations

import threading
from typing import IO, TYPE_CHECKING, Any

from backend.src.libs.bucket.config import BucketConfig
from backend.src.libs.bucket.store import ProgressCallback

if TYPE_CHECKING:
    from s3transfer.manager import TransferConfig, TransferManager


def transfer_config(config: BucketConfig) -> TransferConfig:
    """s3transfer settings from the store's config (threshold, part size, threads)."""
    from s3transfer.manager import TransferConfig

    return TransferConfig(
        multipart_threshold=config.multipart_threshold,
        multipart_chunksize=config.multipart_chunksize,
        max_request_concurrency=config.max_workers,
    )


def _subscribers(progress: ProgressCallback | None, size: int | None) -> list[Any]:
    from s3transfer.subscribers import BaseSubscriber

    class Subscriber(BaseSubscriber):  # type: ignore[misc]
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


def _manager(client: Any, config: BucketConfig) -> TransferManager:
    from s3transfer.manager import TransferManager

    return TransferManager(client, transfer_config(config))


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
) -> int:
    """Upload a file name or a binary stream (any length); multipart above the threshold.

    Returns:
        The number of bytes uploaded (counted as they go, so streams of unknown length
        are measured too).

    On failure s3transfer aborts the multipart upload and the error propagates.
    """
    subscribers = _subscribers(progress, size)
    with _manager(client, config) as manager:
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
) -> None:
    """Download to ``path`` with parallel ranged GETs; s3transfer writes a temporary file
    beside ``path`` and renames it when complete (removed on failure)."""
    with _manager(client, config) as manager:
        future = manager.download(
            bucket,
            key,
            path,
            extra_args=extra_args or {},
            subscribers=_subscribers(progress, size),
        )
        future.result()
