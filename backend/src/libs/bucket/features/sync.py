"""Copy and verify everything between two stores: migration, backup, mirroring.

``sync`` makes a destination bucket (under an optional prefix) hold what a source
bucket (under an optional prefix) holds, between any two ``ObjectStore`` objects.

- **Merge-join listing.** Both sides are listed in UTF-8 byte order and walked in step.
  A store that lists in byte order (``ObjectStore.lists_in_byte_order``: local, AWS) is
  read as it lists, and a listing of it that goes backwards raises ``IntegrityError``.
  Any other store's listing (SeaweedFS lists ``a/z`` before ``a!``) is sorted first:
  runs of ``SORT_RUN`` entries sorted in memory, spilled to temporary files and merged,
  so memory stays bounded.
- **Nothing deleted on an unchecked listing.** With ``delete=True`` the destination keys
  the source lacks are only noted (in a temporary file past a few MiB); they are
  deleted after both listings were read to the end in order.
- **Only what is proven absent is deleted.** What a ``ReportsUnreadable`` source listed
  but could not read (a damaged object file, a link, a folder it may not open) counts
  as present: its destination copy (every key under such a folder) stays and is
  reported as a failure (``report.ok`` False). The deletes are planned by
  ``planner.plan_deletes`` in the destination's scope (its bucket, ``dst_prefix``).
- **Prefixes are folders.** ``"photos"`` means ``photos/``, never ``photos-old/``.
- **Same place refused.** Sides are compared by where they keep their objects
  (``ObjectStore.location``: endpoint or resolved root, plus the store's key prefix),
  bucket and prefixes, not by Python object: one inside the other is refused before
  anything is listed.
- **What "identical" means.** Same size, and then the cheapest proof available:
  1. both ETags are plain MD5s (single-part uploads, the local store) and equal;
  2. the destination's user metadata carries ``source-etag`` equal to the source's
     current ETag and a ``sha256`` (written by a previous ``sync`` at copy time);
  3. otherwise both sides are read as streams and their SHA-256 compared.
  Multipart ETags (``<md5>-<parts>``) and encrypted objects' ETags are not MD5s.
- **Copying** reads the source's metadata (one HEAD). Objects up to ``buffer_limit``
  bytes are read whole (one GET, one PUT, ETag checked against the MD5 computed here);
  larger ones are piped from ``open_object`` into ``put_object`` through a hashing
  reader. The destination keeps the source's content type and user metadata, plus
  ``sha256`` (of the bytes) and ``source-etag``. A large object's SHA-256 (sent with
  the first request) comes from the source's ``sha256`` metadata, else from a first
  streaming pass; the streamed bytes are checked against it *before* the last of them
  reaches the destination, so a source that changed during the copy fails the upload
  and the destination keeps the version it held.
- **Resume.** What is already identical is skipped; an interrupted upload leaves no
  object (multipart aborted, local writes atomic), so a second run finishes the work.
- **Verification** (after the copy pass, unless ``dry_run``): both sides are listed again
  and compared key by key (``verify="quick"``: the rules above; ``"full"``: every
  object read and hashed on both sides).

Errors: listing failures raise a ``StorageError``; a failure on one object is recorded
in the report and the run goes on.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import IO, Literal, NamedTuple, TypeVar, cast

from backend.src.libs.bucket.base.capabilities import Configured, ReportsUnreadable
from backend.src.libs.bucket.base.errors import (
    BucketNotFound,
    IntegrityError,
    InvalidArgument,
    StorageError,
)
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.base.planner import (
    DeletePlan,
    Scope,
    as_folder,
    delete_planned,
    plan_deletes,
)
from backend.src.libs.bucket.base.store import ObjectInfo, ObjectStore, Unreadable
from backend.src.libs.core.logs import library_logger

log = library_logger("bucket.sync")

MiB = 1024 * 1024
CHUNK = MiB
DELETE_BATCH = 1000
SORT_RUN = 100_000
"""Listing entries sorted in memory before a run is spilled to a temporary file."""
SHA256_META = "sha256"
SOURCE_ETAG_META = "source-etag"
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

VerifyMode = Literal["off", "quick", "full"]
Action = Literal["copy", "skip", "delete", "fail", "extra"]
Include = Callable[[str], bool]
"""Whether a key (relative to its side's prefix) takes part in the sync."""


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
    problems: tuple[SyncFailure, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing failed and the verification (if it ran) passed."""
        return self.failed_count == 0 and self.verified is not False

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict of the report (for ``--json``)."""
        fields = asdict(self)  # in field order, each SyncFailure as {"key", "reason"}
        failed, problems = list(fields["failed"]), list(fields["problems"])
        return {**fields, "failed": failed, "problems": problems, "ok": self.ok}


class _Outcome(NamedTuple):
    """One key's outcome, as ``Tally.record`` takes it."""

    action: Action
    key: str
    size: int
    reason: str = ""
    moved: int = 0


_ABSENT = "not in the source"


@dataclass
class Tally:
    """What a run did so far, and the report built from it."""

    keep: int
    on_event: Callable[[SyncEvent], None] | None
    dry_run: bool
    actions: dict[Action, int] = field(
        default_factory=lambda: {"copy": 0, "skip": 0, "delete": 0, "extra": 0, "fail": 0}
    )
    bytes_copied: int = 0
    source_objects: int = 0
    source_bytes: int = 0
    failures: list[SyncFailure] = field(default_factory=list)
    problems: list[SyncFailure] = field(default_factory=list)
    differed: bool = False

    def record(
        self, action: Action, key: str, size: int = 0, reason: str = "", moved: int = 0
    ) -> None:
        """Count one event, keep it if it failed (the first ``keep``), tell ``on_event``."""
        self.actions[action] += 1
        self.bytes_copied += moved
        if action == "fail":
            log.warning("sync: %s failed: %s", key, reason)
            if len(self.failures) < self.keep:
                self.failures.append(SyncFailure(key, reason))
        if self.on_event is not None:
            self.on_event(SyncEvent(action, key, size, reason))

    def deletes(
        self,
        store: ObjectStore,
        plan: DeletePlan,
        sizes: dict[str, int],
        *,
        prefix: str,
        reason: str,
        dry_reason: str,
    ) -> None:
        """Send ``plan`` (not in a dry run) and record each key, relative to ``prefix``:
        deleted (``reason``; ``dry_reason`` in a dry run) or failed."""
        cut = len(prefix)
        if self.dry_run:
            for full in plan.keys:
                self.record("delete", full[cut:], sizes[full], dry_reason)
            return
        try:
            result = delete_planned(store, plan)
        except StorageError as exc:
            for full in plan.keys:
                self.record("fail", full[cut:], sizes[full], f"delete failed: {exc}")
            return
        for full in result.deleted:
            self.record("delete", full[cut:], sizes.get(full, 0), reason)
        for error in result.errors:
            why = f"delete failed: {error.code}: {error.message}"
            self.record("fail", error.key[cut:], sizes.get(error.key, 0), why)

    def problem(self, key: str, why: str) -> None:
        """Note what the verification found wrong with ``key`` (nothing when ``why`` is
        empty); the first ``keep`` are kept with their reason."""
        if why:
            self.differed = True
            if len(self.problems) < self.keep:
                self.problems.append(SyncFailure(key, why))

    def report(self, source: str, destination: str, counted: tuple[int, int] | None) -> SyncReport:
        """The report; ``counted``: the destination's (objects, bytes) when verified. A
        verification that found differences and kept none still says so in one problem."""
        problems = tuple(self.problems)
        if self.differed and not problems:
            problems = (SyncFailure("", "differences found (none kept)"),)
        return SyncReport(
            source=source,
            destination=destination,
            dry_run=self.dry_run,
            copied=self.actions["copy"],
            skipped=self.actions["skip"],
            deleted=self.actions["delete"],
            extra=self.actions["extra"],
            failed=tuple(self.failures),
            failed_count=self.actions["fail"],
            bytes_copied=self.bytes_copied,
            source_objects=self.source_objects,
            source_bytes=self.source_bytes,
            destination_objects=None if counted is None else counted[0],
            destination_bytes=None if counted is None else counted[1],
            verified=None if counted is None else not problems,
            problems=problems,
        )


def log_report(report: SyncReport) -> SyncReport:
    """``report``, once logged (DEBUG)."""
    log.debug(
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


class _VerifyingReader:
    """A read-only binary stream that checks what passes through against an expected
    size and SHA-256, and raises ``IntegrityError`` *before* handing over the bytes that
    complete (or overrun) the stream when they do not match, so the writer reading it
    never commits a copy of a source that changed while it was read."""

    def __init__(self, stream: IO[bytes], *, size: int, sha256: str, bucket: str, key: str) -> None:
        self._stream = stream
        self._expected_size = size
        self._expected_sha256 = sha256
        self._bucket, self._key = bucket, key
        self._digest = hashlib.sha256()
        self.size = 0
        self.verified = False

    def read(self, amt: int | None = -1) -> bytes:
        chunk = self._stream.read(amt if amt is not None and amt >= 0 else CHUNK * 8)
        self._digest.update(chunk)
        self.size += len(chunk)
        if self.size > self._expected_size:
            self._fail(f"more than the {self._expected_size} bytes the source said")
        if self.size == self._expected_size and not self.verified:
            if self._digest.hexdigest() != self._expected_sha256:
                self._fail("bytes whose SHA-256 differs from the source's")
            self.verified = True
        elif not chunk and not self.verified:
            self._fail(f"{self.size} bytes where the source said {self._expected_size}")
        return chunk

    def _fail(self, what: str) -> None:
        raise IntegrityError(
            f"sync: the source streamed {what} (changed during the copy?); "
            "the copy was not committed and the destination is unchanged",
            bucket=self._bucket,
            key=self._key,
        )

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._stream.close()


class Unreadables:
    """What the source listed but could not read, by key relative to its prefix: a key,
    or a folder (``""`` or ending in ``/``) standing for every key under it."""

    def __init__(self) -> None:
        self._why: dict[str, str] = {}

    def add(self, key: str, reason: str) -> None:
        self._why[key] = reason

    def reason(self, key: str) -> str | None:
        """Why ``key`` must be kept (the source could not read it, or a folder holding
        it); None when nothing says so."""
        if not self._why:
            return None
        if key in self._why:
            return f"the source could not read it: {self._why[key]}"
        for end in (i + 1 for i, char in enumerate(key) if char == "/"):
            if key[:end] in self._why:
                return f"the source could not read {key[:end]!r}: {self._why[key[:end]]}"
        if "" in self._why:
            return f"the source could not read its prefix: {self._why['']}"
        return None


class DeleteJournal:
    """Destination keys to delete, noted while the listings are walked and handed back
    only once both have been read to the end (JSON lines; in memory up to 8 MiB, then a
    temporary file)."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=8 * MiB)  # noqa: SIM115 - closed by close()

    def add(self, key: str, size: int) -> None:
        self._file.write(json.dumps([key, size]).encode("utf-8") + b"\n")

    def batches(self, size: int) -> Iterator[list[tuple[str, int]]]:
        """The noted keys with their sizes, ``size`` at a time, in the order noted."""
        self._file.seek(0)
        batch: list[tuple[str, int]] = []
        for line in self._file:
            key, length = json.loads(line)
            batch.append((key, length))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        self._file.close()


def stream_sha256(store: ObjectStore, bucket: str, key: str) -> tuple[str, int]:
    """The SHA-256 (hex) and size of an object, read as a stream."""
    digest = hashlib.sha256()
    size = 0
    with store.open_object(bucket, key) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def is_md5(etag: str | None) -> bool:
    return etag is not None and bool(_MD5_RE.match(etag))


def encrypted(store: ObjectStore) -> bool:
    """True when ``store`` encrypts its writes (its ETags are then not MD5s)."""
    return isinstance(store, Configured) and bool(store.config.sse or store.config.sse_customer_key)


_Info = TypeVar("_Info", bound=ObjectInfo | Unreadable)
_Entry = tuple[bytes, str, _Info]
"""A listing entry: ``(sort key, key relative to the prefix, info)``."""


def objects_in_order(
    store: ObjectStore, bucket: str, prefix: str, include: Include | None = None
) -> Iterator[tuple[bytes, str, ObjectInfo]]:
    """``(sort key, key relative to prefix, info)`` of every object under the folder
    ``prefix`` (that ``include`` takes), in UTF-8 byte order: the listing ``sync``
    walks. What the store could not read is not listed.

    Raises:
        IntegrityError: a store that lists in byte order listed a key out of order, or
            a key outside ``prefix``, or a listing returned a key twice.
        StorageError: the listing failed.
    """
    prefix = as_folder(prefix)
    listed = (e for e in store.list_objects(bucket, prefix=prefix) if isinstance(e, ObjectInfo))
    return _ordered(store, listed, bucket, prefix, include)


def _audited(
    store: ObjectStore, bucket: str, prefix: str, include: Include | None = None
) -> Iterator[_Entry[ObjectInfo | Unreadable]]:
    """``objects_in_order``, with an ``Unreadable`` where a ``ReportsUnreadable`` store met
    something it could not read (a folder's sort key is its key, so it comes before
    every key it stands for; one that holds the whole listing is ``""``)."""
    if not isinstance(store, ReportsUnreadable):
        return objects_in_order(store, bucket, prefix, include)
    listed = store.list_objects_audited(bucket, prefix=prefix)
    return _ordered(store, listed, bucket, prefix, include)


def _ordered(
    store: ObjectStore, listed: Iterable[_Info], bucket: str, prefix: str, include: Include | None
) -> Iterator[_Entry[_Info]]:
    """The listing's entries in byte order (sorted first unless the store lists so)."""
    entries = _entries(listed, bucket, prefix, include)
    if not store.lists_in_byte_order:
        entries = _sorted(entries)
    return _in_order(entries, bucket, prefix)


def _entries(
    listing: Iterable[_Info], bucket: str, prefix: str, include: Include | None
) -> Iterator[_Entry[_Info]]:
    for entry in listing:
        if entry.key.startswith(prefix):
            relative = entry.key[len(prefix) :]
        elif isinstance(entry, Unreadable) and entry.is_folder and prefix.startswith(entry.key):
            relative = ""  # a folder holding the whole listing
        else:
            raise IntegrityError(
                f"sync: the listing of {bucket}/{prefix} returned {entry.key!r}, outside "
                "its prefix; refusing to pair keys",
                bucket=bucket,
                key=entry.key,
            )
        folder = isinstance(entry, Unreadable) and entry.is_folder
        if include is None or folder or include(relative):
            yield relative.encode("utf-8"), relative, entry


def _in_order(
    entries: Iterable[_Entry[_Info]], bucket: str, prefix: str
) -> Iterator[_Entry[_Info]]:
    last: bytes | None = None
    for entry in entries:
        if last is not None and entry[0] <= last:
            raise IntegrityError(
                f"sync: the listing of {bucket}/{prefix} is not in UTF-8 byte order "
                f"({entry[2].key!r} came after a greater or equal key); refusing to pair keys",
                bucket=bucket,
                key=entry[2].key,
            )
        last = entry[0]
        yield entry


def _sort_key(entry: _Entry[_Info]) -> bytes:
    return entry[0]


def _sorted(entries: Iterable[_Entry[_Info]], run: int = SORT_RUN) -> Iterator[_Entry[_Info]]:
    """``entries`` in byte order: sorted in memory up to ``run`` entries, else as sorted
    runs spilled to temporary files and merged (memory: one run plus one entry per run)."""
    spilled: list[IO[bytes]] = []
    chunk: list[_Entry[_Info]] = []
    try:
        for entry in entries:
            chunk.append(entry)
            if len(chunk) >= run:
                spilled.append(_spill(sorted(chunk, key=_sort_key)))
                chunk = []
        chunk.sort(key=_sort_key)
        if not spilled:
            yield from chunk
            return
        if chunk:
            spilled.append(_spill(chunk))
            chunk = []
        yield from heapq.merge(*(_replay(f) for f in spilled), key=_sort_key)
    finally:
        for file in spilled:
            file.close()


def _spill(entries: list[_Entry[_Info]]) -> IO[bytes]:
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _sorted
    for entry in entries:
        pickle.dump(entry, file, protocol=pickle.HIGHEST_PROTOCOL)
    file.seek(0)
    return file


def _replay(file: IO[bytes]) -> Iterator[_Entry[_Info]]:
    while True:
        try:
            yield pickle.load(file)  # our own temporary file, written by _spill
        except EOFError:
            return


def check_disjoint(
    src: ObjectStore,
    src_bucket: str,
    src_prefix: str,
    dst: ObjectStore,
    dst_bucket: str,
    dst_prefix: str,
) -> None:
    """Refuse a source and a destination that are, or contain, one another: same place
    (``ObjectStore.location``), same bucket, and one full prefix (the store's key prefix,
    then the sync prefix) starting with the other. A ``delete`` would remove the
    source's own objects, and copies would feed on themselves.

    Raises:
        InvalidArgument: they overlap.
    """
    a, b = src.location, dst.location
    if (a.kind, a.place, src_bucket) != (b.kind, b.place, dst_bucket):
        return
    full_src, full_dst = a.key_prefix + src_prefix, b.key_prefix + dst_prefix
    if full_src.startswith(full_dst) or full_dst.startswith(full_src):
        raise InvalidArgument(
            f"sync: source {src_bucket}/{src_prefix} and destination {dst_bucket}/{dst_prefix} "
            f"overlap (same {a.kind} store at {a.place}, one prefix inside the other); "
            "use disjoint prefixes or another bucket"
        )


_A = TypeVar("_A")
_B = TypeVar("_B")


def merge(
    source: Iterator[tuple[bytes, str, _A]],
    destination: Iterator[tuple[bytes, str, _B]],
) -> Iterator[tuple[str, _A | None, _B | None]]:
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
    """The two sides of one ``sync`` and the per-key work (compare, copy), safe to run
    from the run's threads: it only reads its settings."""

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
        include: Include | None = None,
    ) -> None:
        self.src, self.src_bucket, self.src_prefix = src, src_bucket, src_prefix
        self.dst, self.dst_bucket, self.dst_prefix = dst, dst_bucket, dst_prefix
        self.buffer_limit = buffer_limit
        self.include = include
        self.plain_etags = not (encrypted(src) or encrypted(dst))

    def listings(
        self, *, dst_exists: bool = True
    ) -> Iterator[tuple[str, ObjectInfo | Unreadable | None, ObjectInfo | None]]:
        """Both sides merged by key: the source audited (``Unreadable`` where it could
        not read), the destination's objects (none when its bucket does not exist)."""
        source = _audited(self.src, self.src_bucket, self.src_prefix, self.include)
        destination = (
            objects_in_order(self.dst, self.dst_bucket, self.dst_prefix, self.include)
            if dst_exists
            else iter(())
        )
        return merge(source, destination)

    def difference(self, key: str, s: ObjectInfo, d: ObjectInfo, *, deep: bool = False) -> str:
        """Why the two objects differ, or "" when they are identical.

        Costs nothing when sizes differ or plain ETags match, one destination HEAD when
        the ETags cannot settle it, and two streaming reads when nothing else can.
        """
        if s.size != d.size:
            return f"size differs ({s.size} != {d.size} bytes)"
        if not deep:
            if is_md5(s.etag) and s.etag == d.etag:
                return ""
            head = self.dst.head_object(self.dst_bucket, self.dst_prefix + key)
            marker = head.metadata.get(SOURCE_ETAG_META)
            if marker and s.etag and marker == s.etag and head.metadata.get(SHA256_META):
                return ""
            if self.plain_etags and is_md5(s.etag) and is_md5(d.etag):
                return "content differs (MD5 ETags differ)"
        src_sha, src_size = stream_sha256(self.src, self.src_bucket, self.src_prefix + key)
        dst_sha, dst_size = stream_sha256(self.dst, self.dst_bucket, self.dst_prefix + key)
        if src_size != dst_size:
            return f"size differs when read ({src_size} != {dst_size} bytes)"
        if src_sha != dst_sha:
            return "content differs (SHA-256)"
        return ""

    # ------------------------------------------------------------ copying
    def copy(self, key: str) -> int:
        """Copy one object; returns the bytes written.

        Raises:
            IntegrityError: the bytes read do not match the source's ETag or ``sha256``
                (nothing is written: the destination keeps what it held), or the
                destination's ETag does not match the bytes sent (that copy is removed).
            StorageError: a read or write failed.
        """
        src_key, dst_key = self.src_prefix + key, self.dst_prefix + key
        head = self.src.head_object(self.src_bucket, src_key)
        if head.size <= self.buffer_limit:
            data = self.src.get_object(self.src_bucket, src_key)
            md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
            if len(data) != head.size:
                raise IntegrityError(
                    f"sync: read {len(data)} bytes, the source said {head.size}",
                    bucket=self.src_bucket,
                    key=src_key,
                )
            if self.plain_etags and is_md5(head.etag) and head.etag != md5:
                raise IntegrityError(
                    "sync: the bytes read do not match the source's ETag (changed while read?)",
                    bucket=self.src_bucket,
                    key=src_key,
                )
            options = _copy_options(head, hashlib.sha256(data).hexdigest())
            result = self.dst.put_object(self.dst_bucket, dst_key, data, options=options)
            if self.plain_etags and is_md5(result.etag) and result.etag != md5:
                self.dst.delete_object(self.dst_bucket, dst_key)
                raise IntegrityError(
                    f"sync: the destination stored other bytes (ETag {result.etag}, sent MD5 {md5})",
                    bucket=self.dst_bucket,
                    key=dst_key,
                )
            return len(data)
        expected = head.metadata.get(SHA256_META, "").lower()
        if not _SHA256_RE.match(expected):
            expected, _ = stream_sha256(self.src, self.src_bucket, src_key)
        reader = _VerifyingReader(
            self.src.open_object(self.src_bucket, src_key),
            size=head.size,
            sha256=expected,
            bucket=self.src_bucket,
            key=src_key,
        )
        try:
            options = _copy_options(head, expected)
            self.dst.put_object(self.dst_bucket, dst_key, cast(IO[bytes], reader), options=options)
        finally:
            reader.close()
        if not reader.verified:  # a store that stopped reading early: should not happen
            raise IntegrityError(
                "sync: the destination stored the object without reading it to the end",
                bucket=self.dst_bucket,
                key=dst_key,
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
            return _Outcome("copy", key, s.size, reason, written)
        except StorageError as exc:
            return _Outcome("fail", key, s.size, str(exc))


def _copy_options(head: ObjectInfo, sha256: str) -> WriteOptions:
    """The source's content type and metadata, plus ``sha256`` and ``source-etag``."""
    metadata = {**head.metadata, SHA256_META: sha256}
    if head.etag:
        metadata[SOURCE_ETAG_META] = head.etag
    return WriteOptions(content_type=head.content_type, metadata=metadata)


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
    include: Include | None = None,
) -> SyncReport:
    """Make ``dst_bucket``/``dst_prefix`` hold what ``src_bucket``/``src_prefix`` holds.

    Copies what is missing or different, skips what is identical, optionally deletes
    what the source lacks (only what is proven absent, see the module), then verifies.

    Args:
        src, dst: the stores read from and written to (may be one store).
        src_prefix: the folder to sync (default "": the whole bucket).
        dst_prefix: the folder that replaces ``src_prefix`` in destination keys
            (default: the same); ``delete`` never reaches outside it.
        dry_run: compare only; nothing written, deleted or created; the report counts
            what would be done (default False).
        delete: delete destination objects the source lacks (default False: counted as
            ``extra`` and kept); planned in the scope ``dst_bucket``/``dst_prefix``.
        verify: ``"quick"`` (default), ``"full"`` (hash every object on both sides) or
            ``"off"``.
        workers: objects compared or copied in parallel (default 4; 1 = in order).
        buffer_limit: objects up to this size are copied in one GET and one PUT, larger
            ones streamed (default 8 MiB).
        create_bucket: create a missing ``dst_bucket`` (default True; never in a dry run).
        on_event: called with a ``SyncEvent`` for every key, from the calling thread.
        max_failures_kept: failures (and verification problems) kept with their reasons
            (default 1000); the rest are only counted.
        include: whether a key (relative to its prefix) takes part (default None: every
            key); one left out is neither copied, deleted nor verified.

    Returns:
        A frozen ``SyncReport``; ``report.ok`` is False if anything failed or the
        verification found a difference.

    Raises:
        InvalidArgument: bad arguments, or the two sides overlap (``check_disjoint``).
        BucketNotFound: no source bucket, or no destination bucket and ``create_bucket``
            False.
        StorageError: a listing failed (nothing is deleted).
        IntegrityError: a byte-order store listed keys out of order, or a key outside
            its prefix (nothing is deleted).
        OutOfScope: a planned delete outside ``dst_bucket``/``dst_prefix`` (nothing is
            deleted).
    """
    src_prefix = as_folder(src_prefix)
    dst_prefix = src_prefix if dst_prefix is None else as_folder(dst_prefix)
    _check_options(
        verify=verify,
        workers=workers,
        buffer_limit=buffer_limit,
        max_failures_kept=max_failures_kept,
    )
    check_disjoint(src, src_bucket, src_prefix, dst, dst_bucket, dst_prefix)
    pair = _Sync(
        src,
        src_bucket,
        dst,
        dst_bucket,
        src_prefix=src_prefix,
        dst_prefix=dst_prefix,
        buffer_limit=buffer_limit,
        include=include,
    )
    dst_exists = _prepare_buckets(pair, dry_run=dry_run, create_bucket=create_bucket)
    tally = Tally(max_failures_kept, on_event, dry_run)
    run = _Run(pair, tally, delete=delete, verify=verify, workers=workers)
    run.walk(dst_exists=dst_exists)
    return log_report(run.report())


def _check_options(*, verify: str, workers: object, **counts: object) -> None:
    """Raises InvalidArgument naming the first bad option (``counts``: non-negative
    integers, by name)."""
    if verify not in ("off", "quick", "full"):
        raise InvalidArgument(f"verify must be 'off', 'quick' or 'full', not {verify!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgument(f"workers must be a positive integer, not {workers!r}")
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgument(f"{name} must be a non-negative integer, not {value!r}")


def _prepare_buckets(pair: _Sync, *, dry_run: bool, create_bucket: bool) -> bool:
    """Check the source bucket, make the destination's (unless a dry run); whether the
    destination bucket exists. Raises BucketNotFound as ``sync`` says."""
    if not pair.src.bucket_exists(pair.src_bucket):
        raise BucketNotFound(
            "sync: the source bucket does not exist", bucket=pair.src_bucket, status=404
        )
    if pair.dst.bucket_exists(pair.dst_bucket):
        return True
    if dry_run:
        return False
    if not create_bucket:
        raise BucketNotFound(
            "sync: the destination bucket does not exist (create_bucket is off)",
            bucket=pair.dst_bucket,
            status=404,
        )
    pair.dst.create_bucket(pair.dst_bucket)
    return True


class _Run:
    """One ``sync`` call: walks both listings, reconciles each key (in a thread pool),
    deletes extras once the listings are read, verifies, and builds the report."""

    def __init__(
        self, pair: _Sync, tally: Tally, *, delete: bool, verify: VerifyMode, workers: int
    ) -> None:
        self.pair, self.tally = pair, tally
        self.delete, self.verify, self.workers = delete, verify, workers
        self.unreadable = Unreadables()

    def walk(self, *, dst_exists: bool) -> None:
        """The copy pass, then the deletes (only after both listings were read in full)."""
        extras = DeleteJournal()
        try:
            self._reconcile_all(self.pair.listings(dst_exists=dst_exists), extras)
            # Both listings were read to the end and found in order: only now delete.
            self._delete_extras(extras)
        finally:
            extras.close()

    def _reconcile_all(
        self,
        pairs: Iterator[tuple[str, ObjectInfo | Unreadable | None, ObjectInfo | None]],
        extras: DeleteJournal,
    ) -> None:
        workers, dry_run = self.workers, self.tally.dry_run
        pending: set[Future[_Outcome]] = set()
        with ThreadPoolExecutor(workers, thread_name_prefix="bucket-sync") as pool:
            try:
                for key, s, d in pairs:
                    if s is None or isinstance(s, Unreadable):
                        self._not_copied(key, s, d, extras)
                        continue
                    self.tally.source_objects += 1
                    self.tally.source_bytes += s.size
                    if workers == 1:
                        self.tally.record(*self.pair.reconcile(key, s, d, dry_run=dry_run))
                        continue
                    pending.add(pool.submit(self.pair.reconcile, key, s, d, dry_run=dry_run))
                    pending = self._drain(pending, until=workers * 4)
                self._drain(pending, until=0)
            finally:
                for future in pending:
                    future.cancel()

    def _drain(self, pending: set[Future[_Outcome]], *, until: int) -> set[Future[_Outcome]]:
        """Record finished work until at most ``until`` tasks are pending; the rest."""
        while len(pending) > until:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                self.tally.record(*future.result())
        return pending

    def _not_copied(
        self,
        key: str,
        s: Unreadable | None,
        d: ObjectInfo | None,
        extras: DeleteJournal,
    ) -> None:
        """A key the source could not read (a failure; its destination copy, and every
        key under it for a folder, is kept) or lacks (noted for deletion with
        ``delete``, else counted as extra)."""
        size = d.size if d is not None else 0
        if s is not None:
            self.unreadable.add(key, s.reason)
            self.tally.record("fail", key, size, f"the source could not read it: {s.reason}")
        elif d is not None and self.delete:
            extras.add(d.key, size)  # the full key: the plan checks it against the scope
        elif d is not None:
            kept = self._keep(d.key)
            action: Action = "extra" if kept is None else "fail"
            self.tally.record(action, key, size, kept or _ABSENT)

    def _keep(self, full: str) -> str | None:
        """``plan_deletes``'s keep rule: why the destination key ``full`` stays."""
        why = self.unreadable.reason(full[len(self.pair.dst_prefix) :])
        return None if why is None else f"kept: {why}"

    def _delete_extras(self, extras: DeleteJournal) -> None:
        """Plan the noted deletes in the destination's scope, every key checked before
        the first request (``OutOfScope`` raised, nothing sent), then send them 1000 at
        a time; the kept keys are failures."""
        pair = self.pair
        scope = Scope(pair.dst_bucket, pair.dst_prefix)
        noted = (key for batch in extras.batches(DELETE_BATCH) for key, _ in batch)
        scope.refuse_outside(noted, operation="sync")
        for batch in extras.batches(DELETE_BATCH):
            sizes = dict(batch)
            plan = plan_deletes(scope, sizes, operation="sync", keep=self._keep)
            for full, reason in plan.kept:
                self.tally.record("fail", full[len(pair.dst_prefix) :], sizes[full], reason)
            self.tally.deletes(
                pair.dst, plan, sizes, prefix=pair.dst_prefix, reason=_ABSENT, dry_reason=_ABSENT
            )

    def report(self) -> SyncReport:
        """Verify (unless a dry run or ``verify="off"``) and build the report."""
        pair = self.pair
        counted = None if self.tally.dry_run or self.verify == "off" else self._verify()
        source = f"{pair.src_bucket}/{pair.src_prefix}"
        return self.tally.report(source, f"{pair.dst_bucket}/{pair.dst_prefix}", counted)

    def _verify(self) -> tuple[int, int]:
        """List both sides again and compare them (each difference noted by
        ``Tally.problem``); returns the destination's (objects, bytes)."""
        objects = total = 0
        unreadable = Unreadables()
        for key, s, d in self.pair.listings():
            if d is not None:
                objects += 1
                total += d.size
            self.tally.problem(key, self._verdict(key, s, d, unreadable))
        return objects, total

    def _verdict(
        self,
        key: str,
        s: ObjectInfo | Unreadable | None,
        d: ObjectInfo | None,
        unreadable: Unreadables,
    ) -> str:
        """What the verification finds wrong with one key ("" when nothing). Something
        the source could not read is a problem (nothing proves the sides equal there);
        with ``delete``, so is a destination-only key, unless the source could not
        read it."""
        if isinstance(s, Unreadable):
            unreadable.add(key, s.reason)
            return f"not verified: the source could not read it: {s.reason}"
        if s is None:
            if not self.delete or unreadable.reason(key) is not None:
                return ""
            return "extra at the destination (not in the source)"
        if d is None:
            return "missing at the destination"
        try:
            return self.pair.difference(key, s, d, deep=self.verify == "full")
        except StorageError as exc:
            return f"could not compare: {exc}"


__all__ = [
    "DeleteJournal",
    "Include",
    "Unreadables",
    "SyncEvent",
    "SyncFailure",
    "SyncReport",
    "VerifyMode",
    "check_disjoint",
    "encrypted",
    "is_md5",
    "merge",
    "objects_in_order",
    "sync",
]
