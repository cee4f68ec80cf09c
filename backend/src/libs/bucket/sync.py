"""Copy and verify everything between two stores: migration, backup, mirroring.

``sync`` makes a destination bucket (under an optional prefix) hold what a source
bucket (under an optional prefix) holds, between any two ``ObjectStore`` objects:
local folder to S3, S3 to a local backup, S3 to another S3 server or bucket.

How it works:

- **Merge-join listing.** Both sides are listed as sorted generators (UTF-8 byte order,
  the order every store lists in) and walked in step, one entry of each at a time:
  memory holds a few entries and the objects in flight, never the listing of a bucket.
  A listing that goes backwards raises ``IntegrityError`` rather than mis-pair keys.
- **What "identical" means.** Same size, and then the cheapest proof available:
  1. both ETags are plain MD5s (single-part uploads, the local store) and equal;
  2. the destination's user metadata carries ``source-etag`` equal to the source's
     current ETag and a ``sha256`` (written by a previous ``sync`` at copy time);
  3. otherwise both sides are read as streams and their SHA-256 compared.
  Multipart ETags (``<md5>-<parts>``) and the ETags of encrypted objects are not MD5s of
  the bytes, which is why rules 2 and 3 exist.
- **Copying** reads the source's metadata (one HEAD), then streams the object: objects
  up to ``buffer_limit`` bytes are read whole (one GET, one PUT, ETag checked against
  the MD5 computed here); larger ones are piped from ``open_object`` into
  ``put_object`` through a hashing reader, so memory stays flat whatever their size.
  The destination keeps the source's content type and user metadata, plus ``sha256``
  (of the bytes) and ``source-etag``. A large object's SHA-256 must be known before
  its upload starts (metadata goes with the first request): it comes from the source's
  own ``sha256`` metadata when present, else from a first streaming pass.
- **Resume.** What is already identical is skipped, so a run interrupted at any point
  continues where it stopped: the second run of a finished sync lists both sides and
  copies nothing. An upload cut in the middle leaves no object (S3 multipart uploads
  are aborted or never completed; local writes are atomic), so it is simply redone.
- **Verification** (after the copy pass, unless ``dry_run``): both sides are listed again
  and compared key by key: count, bytes and checksums (``verify="quick"`` uses the rules
  above; ``verify="full"`` reads and hashes every object on both sides).

Errors: listing failures (missing source bucket, unreachable endpoint) raise a
``StorageError``; a failure on one object is recorded in the report and the run goes on.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import IO, Literal, cast

from backend.src.libs.bucket.errors import (
    BucketNotFound,
    IntegrityError,
    InvalidArgument,
    StorageError,
)
from backend.src.libs.bucket.store import ObjectInfo, ObjectStore

log = logging.getLogger("bucket.sync")

MiB = 1024 * 1024
CHUNK = MiB
DELETE_BATCH = 1000
SHA256_META = "sha256"
SOURCE_ETAG_META = "source-etag"
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

VerifyMode = Literal["off", "quick", "full"]
Action = Literal["copy", "skip", "delete", "fail", "extra"]


@dataclass(frozen=True)
class SyncFailure:
    """One key that could not be copied, deleted or verified, and why."""

    key: str
    reason: str


@dataclass(frozen=True)
class SyncEvent:
    """What ``sync`` did (or, in a dry run, would do) with one key.

    Attributes:
        action: ``copy``, ``skip``, ``delete``, ``fail`` or ``extra`` (a destination key
            the source lacks, kept because ``delete`` is off).
        key: the key relative to the source (and destination) prefix.
        size: the object's size in bytes.
        reason: why (for ``copy``: missing or what differs; for ``fail``: the error).
    """

    action: Action
    key: str
    size: int = 0
    reason: str = ""


@dataclass(frozen=True)
class SyncReport:
    """The outcome of one ``sync`` run.

    Attributes:
        source, destination: ``bucket/prefix`` of each side.
        dry_run: True when nothing was written.
        copied: objects copied (in a dry run: that would be copied).
        skipped: objects already identical on both sides.
        deleted: destination objects deleted because the source lacks them (in a dry
            run: that would be deleted).
        extra: destination objects the source lacks, left in place (``delete`` off).
        failed: the first ``max_failures_kept`` failures with their reasons.
        failed_count: every failure, including those not kept.
        bytes_copied: bytes written to the destination (dry run: that would be).
        source_objects, source_bytes: what the source holds under its prefix.
        destination_objects, destination_bytes: what the destination held under its
            prefix at verification (None when not verified).
        verified: True when the verification found both sides identical, False when
            it found a difference, None when it did not run (dry run, ``verify="off"``).
        problems: what the verification found different (first 1000).
    """

    source: str
    destination: str
    dry_run: bool
    copied: int = 0
    skipped: int = 0
    deleted: int = 0
    extra: int = 0
    failed: tuple[SyncFailure, ...] = ()
    failed_count: int = 0
    bytes_copied: int = 0
    source_objects: int = 0
    source_bytes: int = 0
    destination_objects: int | None = None
    destination_bytes: int | None = None
    verified: bool | None = None
    problems: tuple[SyncFailure, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when nothing failed and the verification (if it ran) passed."""
        return self.failed_count == 0 and self.verified is not False

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict of the report (for ``--json``)."""
        return {
            "source": self.source,
            "destination": self.destination,
            "dry_run": self.dry_run,
            "copied": self.copied,
            "skipped": self.skipped,
            "deleted": self.deleted,
            "extra": self.extra,
            "failed": [{"key": f.key, "reason": f.reason} for f in self.failed],
            "failed_count": self.failed_count,
            "bytes_copied": self.bytes_copied,
            "source_objects": self.source_objects,
            "source_bytes": self.source_bytes,
            "destination_objects": self.destination_objects,
            "destination_bytes": self.destination_bytes,
            "verified": self.verified,
            "problems": [{"key": p.key, "reason": p.reason} for p in self.problems],
            "ok": self.ok,
        }


@dataclass(frozen=True)
class _Outcome:
    action: Action
    key: str
    size: int
    bytes: int = 0
    reason: str = ""


class _HashingReader:
    """A read-only binary stream that hashes (SHA-256) and counts what passes through."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, amt: int | None = -1) -> bytes:
        chunk = self._stream.read(amt if amt is not None and amt >= 0 else CHUNK * 8)
        self.sha256.update(chunk)
        self.size += len(chunk)
        return chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._stream.close()


def _is_md5(etag: str | None) -> bool:
    return etag is not None and bool(_MD5_RE.match(etag))


def _encrypted(store: ObjectStore) -> bool:
    """True when ``store`` encrypts its writes (its ETags are then not MD5s)."""
    config = getattr(store, "config", None)
    return bool(getattr(config, "sse", None) or getattr(config, "sse_customer_key", None))


def _objects(
    store: ObjectStore, bucket: str, prefix: str
) -> Iterator[tuple[bytes, str, ObjectInfo]]:
    """``(sort key, key relative to prefix, info)`` of every object under ``prefix``, in order."""
    last: bytes | None = None
    for entry in store.list_objects(bucket, prefix=prefix):
        if not isinstance(entry, ObjectInfo):
            continue
        relative = entry.key[len(prefix) :]
        order = relative.encode("utf-8")
        if last is not None and order <= last:
            raise IntegrityError(
                f"sync: the listing of {bucket}/{prefix} is not in UTF-8 byte order "
                f"({entry.key!r} came after a greater key); refusing to pair keys",
                bucket=bucket,
                key=entry.key,
            )
        last = order
        yield order, relative, entry


def merge(
    source: Iterator[tuple[bytes, str, ObjectInfo]],
    destination: Iterator[tuple[bytes, str, ObjectInfo]],
) -> Iterator[tuple[str, ObjectInfo | None, ObjectInfo | None]]:
    """Walk two sorted listings in step: ``(key, source info, destination info)``.

    A key on one side only comes with None for the other side. Each input is read
    once, one entry ahead at most.
    """
    s = next(source, None)
    d = next(destination, None)
    while s is not None or d is not None:
        if d is None or (s is not None and s[0] < d[0]):
            assert s is not None
            yield s[1], s[2], None
            s = next(source, None)
        elif s is None or d[0] < s[0]:
            yield d[1], None, d[2]
            d = next(destination, None)
        else:
            yield s[1], s[2], d[2]
            s = next(source, None)
            d = next(destination, None)


class _Sync:
    """One run of ``sync``: the settings, the counters and the per-key work."""

    def __init__(
        self,
        src: ObjectStore,
        src_bucket: str,
        dst: ObjectStore,
        dst_bucket: str,
        *,
        src_prefix: str,
        dst_prefix: str,
        buffer_limit: int,
    ) -> None:
        self.src, self.src_bucket, self.src_prefix = src, src_bucket, src_prefix
        self.dst, self.dst_bucket, self.dst_prefix = dst, dst_bucket, dst_prefix
        self.buffer_limit = buffer_limit
        self.plain_etags = not (_encrypted(src) or _encrypted(dst))

    # ---------------------------------------------------------- comparing
    def _hash(self, store: ObjectStore, bucket: str, key: str) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        stream = store.open_object(bucket, key)
        try:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        finally:
            stream.close()
        return digest.hexdigest(), size

    def difference(self, key: str, s: ObjectInfo, d: ObjectInfo, *, deep: bool = False) -> str:
        """Why the two objects differ, or "" when they are identical.

        Costs nothing when sizes differ or plain ETags match, one destination HEAD when
        the ETags cannot settle it, and two streaming reads when nothing else can.
        """
        if s.size != d.size:
            return f"size differs ({s.size} != {d.size} bytes)"
        if not deep:
            if _is_md5(s.etag) and s.etag == d.etag:
                return ""
            head = self.dst.head_object(self.dst_bucket, self.dst_prefix + key)
            marker = head.metadata.get(SOURCE_ETAG_META)
            if marker and s.etag and marker == s.etag and head.metadata.get(SHA256_META):
                return ""
            if self.plain_etags and _is_md5(s.etag) and _is_md5(d.etag):
                return "content differs (MD5 ETags differ)"
        src_sha, src_size = self._hash(self.src, self.src_bucket, self.src_prefix + key)
        dst_sha, dst_size = self._hash(self.dst, self.dst_bucket, self.dst_prefix + key)
        if src_size != dst_size:
            return f"size differs when read ({src_size} != {dst_size} bytes)"
        if src_sha != dst_sha:
            return "content differs (SHA-256)"
        return ""

    # ------------------------------------------------------------ copying
    def copy(self, key: str) -> int:
        """Copy one object; returns the bytes written.

        Raises:
            IntegrityError: the bytes read do not match the source's ETag or ``sha256``,
                or the destination's ETag does not match them (the copy is removed).
            StorageError: a read or write failed.
        """
        src_key, dst_key = self.src_prefix + key, self.dst_prefix + key
        head = self.src.head_object(self.src_bucket, src_key)
        metadata = dict(head.metadata)
        if head.size <= self.buffer_limit:
            data = self.src.get_object(self.src_bucket, src_key)
            md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
            if len(data) != head.size:
                raise IntegrityError(
                    f"sync: read {len(data)} bytes, the source said {head.size}",
                    bucket=self.src_bucket,
                    key=src_key,
                )
            if self.plain_etags and _is_md5(head.etag) and head.etag != md5:
                raise IntegrityError(
                    "sync: the bytes read do not match the source's ETag (changed while read?)",
                    bucket=self.src_bucket,
                    key=src_key,
                )
            metadata[SHA256_META] = hashlib.sha256(data).hexdigest()
            if head.etag:
                metadata[SOURCE_ETAG_META] = head.etag
            result = self.dst.put_object(
                self.dst_bucket, dst_key, data, content_type=head.content_type, metadata=metadata
            )
            if self.plain_etags and _is_md5(result.etag) and result.etag != md5:
                self.dst.delete_object(self.dst_bucket, dst_key)
                raise IntegrityError(
                    f"sync: the destination stored other bytes (ETag {result.etag}, sent MD5 {md5})",
                    bucket=self.dst_bucket,
                    key=dst_key,
                )
            return len(data)
        expected = metadata.get(SHA256_META, "").lower()
        if not _SHA256_RE.match(expected):
            expected, _ = self._hash(self.src, self.src_bucket, src_key)
        metadata[SHA256_META] = expected
        if head.etag:
            metadata[SOURCE_ETAG_META] = head.etag
        reader = _HashingReader(self.src.open_object(self.src_bucket, src_key))
        try:
            self.dst.put_object(
                self.dst_bucket,
                dst_key,
                cast(IO[bytes], reader),
                content_type=head.content_type,
                metadata=metadata,
            )
        finally:
            reader.close()
        if reader.size != head.size or reader.sha256.hexdigest() != expected:
            self.dst.delete_object(self.dst_bucket, dst_key)
            raise IntegrityError(
                "sync: the bytes streamed do not match the source's size or SHA-256 "
                "(changed during the copy?); the copy was removed",
                bucket=self.src_bucket,
                key=src_key,
            )
        return reader.size

    def reconcile(
        self, key: str, s: ObjectInfo, d: ObjectInfo | None, *, dry_run: bool
    ) -> _Outcome:
        """Compare one source object with its destination twin; copy when needed."""
        try:
            reason = "missing at the destination" if d is None else self.difference(key, s, d)
            if not reason:
                return _Outcome("skip", key, s.size)
            written = s.size if dry_run else self.copy(key)
            return _Outcome("copy", key, s.size, bytes=written, reason=reason)
        except StorageError as exc:
            return _Outcome("fail", key, s.size, reason=str(exc))


def sync(
    src: ObjectStore,
    src_bucket: str,
    dst: ObjectStore,
    dst_bucket: str,
    *,
    src_prefix: str = "",
    dst_prefix: str | None = None,
    dry_run: bool = False,
    delete: bool = False,
    verify: VerifyMode = "quick",
    workers: int = 4,
    buffer_limit: int = 8 * MiB,
    create_bucket: bool = True,
    on_event: Callable[[SyncEvent], None] | None = None,
    max_failures_kept: int = 1000,
) -> SyncReport:
    """Make ``dst_bucket``/``dst_prefix`` hold what ``src_bucket``/``src_prefix`` holds.

    Copies what is missing or different, skips what is identical (so a second run, or a
    run after an interruption, copies only what is left), optionally deletes what the
    source lacks, then verifies. See the module docstring for how objects are compared.

    Args:
        src: the store to read from.
        src_bucket: its bucket.
        dst: the store to write to (may be ``src`` itself, for bucket-to-bucket copies).
        dst_bucket: its bucket.
        src_prefix: only keys starting with this (default "": the whole bucket). Taken
            literally: ``"photos"`` also matches ``"photos-old/x"``; end it with ``/``
            for a folder.
        dst_prefix: replaces ``src_prefix`` in destination keys (default: the same).
        dry_run: list and compare only; nothing is written, deleted or created, and the
            report counts what would be done (default False).
        delete: delete destination objects (under ``dst_prefix``) the source lacks
            (default False: they are counted as ``extra`` and kept).
        verify: ``"quick"`` (default: sizes, ETags, ``sha256`` metadata, hashing only
            what those cannot settle), ``"full"`` (read and hash every object on both
            sides) or ``"off"``.
        workers: objects compared or copied in parallel (default 4; 1 = in order).
        buffer_limit: objects up to this many bytes are copied in one GET and one PUT;
            larger ones are streamed (default 8 MiB).
        create_bucket: create ``dst_bucket`` when it is missing (default True; never in
            a dry run).
        on_event: called with a ``SyncEvent`` for every key, from the calling thread.
        max_failures_kept: failures (and verification problems) kept in the report with
            their reasons (default 1000); the rest are only counted.

    Returns:
        A frozen ``SyncReport``; ``report.ok`` is False if anything failed or the
        verification found a difference.

    Raises:
        InvalidArgument: bad arguments, or source and destination overlap (same store,
            same bucket, one prefix inside the other).
        BucketNotFound: the source bucket does not exist, or the destination bucket does
            not and ``create_bucket`` is False.
        StorageError: a listing failed (nothing is deleted on a partial listing).
        IntegrityError: a store listed keys out of order.
    """
    if dst_prefix is None:
        dst_prefix = src_prefix
    if verify not in ("off", "quick", "full"):
        raise InvalidArgument(f"verify must be 'off', 'quick' or 'full', not {verify!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgument(f"workers must be a positive integer, not {workers!r}")
    if isinstance(buffer_limit, bool) or not isinstance(buffer_limit, int) or buffer_limit < 0:
        raise InvalidArgument(f"buffer_limit must be a non-negative integer, not {buffer_limit!r}")
    if (
        src is dst
        and src_bucket == dst_bucket
        and (src_prefix.startswith(dst_prefix) or dst_prefix.startswith(src_prefix))
    ):
        raise InvalidArgument(
            f"sync: source {src_bucket}/{src_prefix} and destination {dst_bucket}/{dst_prefix} "
            "overlap; use disjoint prefixes or another bucket"
        )
    run = _Sync(
        src,
        src_bucket,
        dst,
        dst_bucket,
        src_prefix=src_prefix,
        dst_prefix=dst_prefix,
        buffer_limit=buffer_limit,
    )
    if not src.bucket_exists(src_bucket):
        raise BucketNotFound(
            "sync: the source bucket does not exist", bucket=src_bucket, status=404
        )
    dst_exists = dst.bucket_exists(dst_bucket)
    if not dst_exists and not dry_run:
        if not create_bucket:
            raise BucketNotFound(
                "sync: the destination bucket does not exist (create_bucket is off)",
                bucket=dst_bucket,
                status=404,
            )
        dst.create_bucket(dst_bucket)
        dst_exists = True

    counts = {"copy": 0, "skip": 0, "delete": 0, "extra": 0, "fail": 0}
    totals = {"bytes": 0, "source_objects": 0, "source_bytes": 0}
    failures: list[SyncFailure] = []

    def record(outcome: _Outcome) -> None:
        counts[outcome.action] += 1
        totals["bytes"] += outcome.bytes
        if outcome.action == "fail" and len(failures) < max_failures_kept:
            failures.append(SyncFailure(outcome.key, outcome.reason))
        if outcome.action == "fail":
            log.warning("sync: %s failed: %s", outcome.key, outcome.reason)
        if on_event is not None:
            on_event(SyncEvent(outcome.action, outcome.key, outcome.size, outcome.reason))

    doomed: list[tuple[str, int]] = []

    def flush_deletes() -> None:
        if not doomed:
            return
        batch = list(doomed)
        doomed.clear()
        if dry_run:
            for key, size in batch:
                record(_Outcome("delete", key, size, reason="not in the source"))
            return
        sizes = dict(batch)
        try:
            result = dst.delete_objects(dst_bucket, [dst_prefix + k for k, _ in batch])
        except StorageError as exc:
            for key, size in batch:
                record(_Outcome("fail", key, size, reason=f"delete failed: {exc}"))
            return
        for full in result.deleted:
            key = full[len(dst_prefix) :]
            record(_Outcome("delete", key, sizes.get(key, 0), reason="not in the source"))
        for error in result.errors:
            key = error.key[len(dst_prefix) :]
            record(
                _Outcome(
                    "fail",
                    key,
                    sizes.get(key, 0),
                    reason=f"delete failed: {error.code}: {error.message}",
                )
            )

    source_listing = _objects(src, src_bucket, src_prefix)
    dest_listing = _objects(dst, dst_bucket, dst_prefix) if dst_exists else iter(())
    pending: set[Future[_Outcome]] = set()
    limit = workers * 4

    def drain(until: int) -> None:
        nonlocal pending
        while len(pending) > until:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                record(future.result())

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bucket-sync") as pool:
        try:
            for key, s, d in merge(source_listing, dest_listing):
                if s is None:
                    assert d is not None
                    if delete:
                        doomed.append((key, d.size))
                        if len(doomed) >= DELETE_BATCH:
                            flush_deletes()
                    else:
                        record(_Outcome("extra", key, d.size, reason="not in the source"))
                    continue
                totals["source_objects"] += 1
                totals["source_bytes"] += s.size
                if workers == 1:
                    record(run.reconcile(key, s, d, dry_run=dry_run))
                    continue
                pending.add(pool.submit(run.reconcile, key, s, d, dry_run=dry_run))
                drain(limit)
            drain(0)
            flush_deletes()
        finally:
            for future in pending:
                future.cancel()

    verified: bool | None = None
    problems: list[SyncFailure] = []
    dst_objects: int | None = None
    dst_bytes: int | None = None
    if not dry_run and verify != "off":
        dst_objects, dst_bytes = _verify(
            run, deep=verify == "full", strict=delete, problems=problems, keep=max_failures_kept
        )
        verified = not problems
    report = SyncReport(
        source=f"{src_bucket}/{src_prefix}",
        destination=f"{dst_bucket}/{dst_prefix}",
        dry_run=dry_run,
        copied=counts["copy"],
        skipped=counts["skip"],
        deleted=counts["delete"],
        extra=counts["extra"],
        failed=tuple(failures),
        failed_count=counts["fail"],
        bytes_copied=totals["bytes"],
        source_objects=totals["source_objects"],
        source_bytes=totals["source_bytes"],
        destination_objects=dst_objects,
        destination_bytes=dst_bytes,
        verified=verified,
        problems=tuple(problems),
    )
    log.info(
        "sync %s -> %s: %d copied, %d skipped, %d deleted, %d failed, verified=%s",
        report.source,
        report.destination,
        report.copied,
        report.skipped,
        report.deleted,
        report.failed_count,
        report.verified,
    )
    return report


def _verify(
    run: _Sync, *, deep: bool, strict: bool, problems: list[SyncFailure], keep: int
) -> tuple[int, int]:
    """List both sides again and compare them; returns the destination's (objects, bytes).

    ``strict`` (set when extras were to be deleted) makes a destination-only key a
    problem. Problems beyond ``keep`` are counted into the last entry's absence only.
    """
    found = False
    objects = 0
    total = 0

    def problem(key: str, reason: str) -> None:
        nonlocal found
        found = True
        if len(problems) < keep:
            problems.append(SyncFailure(key, reason))

    source = _objects(run.src, run.src_bucket, run.src_prefix)
    destination = _objects(run.dst, run.dst_bucket, run.dst_prefix)
    for key, s, d in merge(source, destination):
        if d is not None:
            objects += 1
            total += d.size
        if s is None:
            if strict:
                problem(key, "extra at the destination (not in the source)")
            continue
        if d is None:
            problem(key, "missing at the destination")
            continue
        try:
            reason = run.difference(key, s, d, deep=deep)
        except StorageError as exc:
            reason = f"could not compare: {exc}"
        if reason:
            problem(key, reason)
    if found and not problems:  # keep == 0: still report that something differed
        problems.append(SyncFailure("", "differences found (none kept)"))
    return objects, total


__all__ = ["SyncEvent", "SyncFailure", "SyncReport", "VerifyMode", "merge", "sync"]
