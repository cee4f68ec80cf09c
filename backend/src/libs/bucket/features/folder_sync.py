"""Sync between a plain local folder and a store, as ``aws s3 sync`` does.

``upload_folder`` makes ``bucket/prefix`` hold the files of a folder; ``download_folder``
makes a folder hold the objects under ``bucket/prefix`` as plain files (byte for byte,
not the local store's object files). ``bucket sync ./site s3://b/site`` runs them.

What is copied (aws's rules, ``awscli``'s ``SizeAndLastModifiedSync``):

- **Upload**: a file missing from the destination, of another size, or modified after
  the object (the object's ``LastModified`` older than the file's mtime).
- **Download**: an object missing locally, of another size, or whose local file was
  modified after it. A downloaded file gets the object's ``LastModified`` as its mtime,
  so the next run skips it; a same-sized object changed on the server is only seen
  with ``exact_timestamps``, as in aws.
- ``size_only``: sizes alone decide, both ways.
- A server that keeps whole seconds is compared with the file's time cut to the second.

Safety, as ``sync.sync``:

- **Prefixes and folders are folders**: ``s3://b/site`` means ``site/``, never
  ``site-other/``.
- **Deletes after both listings are read.** Objects the folder lacks are planned by
  ``planner.plan_deletes`` in the scope ``bucket/prefix``; a local file is removed
  only inside the folder named, reached from it without following a symbolic link
  (``O_NOFOLLOW`` on every folder on the way), and only a regular file. A symbolic link
  at the destination is never removed.
- **What the folder holds but cannot read counts as present** (an unreadable file or
  folder, a name that is not UTF-8, a broken link): its objects are kept and reported
  as failures (``report.ok`` False). A link left out by ``follow_symlinks=False`` and a
  special file (FIFO, socket, device) are skipped, their objects kept, without failing.
- **Whole or not at all**: uploads are single PUTs (ETag checked against the MD5) or
  multipart uploads completed at the end; downloads go through ``batch.download_to``
  (temporary files, one flush per thousand files, then renames), and a key that cannot
  land on a path of its own (``batch.local_targets``) is refused.
- **Resume**: what is already the same is skipped; a second run copies nothing.
- **Verification** (``verify="quick"``): both sides listed again, each source entry must
  be at the destination with its size (with ``delete``, no destination extra);
  ``"full"`` hashes every pair (SHA-256).

Errors: listing failures (a missing bucket, a folder that is not there for an upload)
raise; a failure on one file or object is recorded in the report and the run goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, NamedTuple, cast

from backend.src.libs.bucket.base.errors import (
    BucketNotFound,
    IntegrityError,
    InvalidArgument,
)
from backend.src.libs.bucket.base.planner import Scope, as_folder, plan_deletes
from backend.src.libs.bucket.base.store import ObjectInfo, ObjectStore
from backend.src.libs.bucket.features import batch
from backend.src.libs.bucket.features.sync import (
    Action,
    DeleteJournal,
    Include,
    SyncEvent,
    SyncReport,
    Tally,
    Unreadables,
    VerifyMode,
    encrypted,
    is_md5,
    log_report,
    merge,
    objects_in_order,
    stream_sha256,
)

MiB = 1024 * 1024
CHUNK = 1000
"""Transfers decided before they are run together (and, for downloads, committed)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = 1_000_000_000
Direction = Literal["upload", "download"]


@dataclass(frozen=True)
class LocalFile:
    """A regular file of the folder: its path, size and mtime (ns); ``link`` when it
    was reached through a symbolic link (never deleted)."""

    path: Path
    size: int
    mtime_ns: int
    link: bool = False


@dataclass(frozen=True)
class Unread:
    """Something the folder holds but the sync cannot read (``reason``): it counts as
    present. A ``relative`` ending in ``/`` stands for every path under it. ``silent``:
    left out on purpose (a link with ``follow_symlinks=False``, a special file), not a
    failure."""

    relative: str
    reason: str
    silent: bool = False


LocalEntry = LocalFile | Unread
_Entry = tuple[bytes, str, LocalEntry]
_Side = LocalEntry | ObjectInfo | None
"""One side of a path in the merged listings: a file or what the folder cannot read,
an object, or nothing."""


class _Copy(NamedTuple):
    """A path queued for copying: its relative path, the source entry and why (the
    ``copy`` event's reason: missing, or what differs)."""

    relative: str
    source: LocalFile | ObjectInfo
    why: str


@dataclass(frozen=True)
class FolderSyncOptions:
    """What one folder sync does (``bucket sync``'s flags).

    Attributes:
        dry_run: compare only; nothing written, deleted or created (default False).
        delete: remove what the source lacks, inside the destination folder or prefix
            only (default False: counted as ``extra``).
        size_only: compare sizes only (default False).
        exact_timestamps: downloads: a same-sized file is skipped only when its mtime is
            the object's time exactly (default False; no effect on uploads, as in aws).
        follow_symlinks: uploads read through symbolic links (default True, as aws);
            False leaves links out (their objects kept). A download never follows a
            link out of its folder.
        verify: ``"quick"`` (default), ``"full"`` or ``"off"`` (see the module).
        workers: transfers in parallel (default 4).
        include: whether a path relative to the folder takes part (default: all); what
            it leaves out is neither copied nor deleted.
        on_event: called with a ``SyncEvent`` per path, from the calling thread.
        buffer_limit: files up to this size are uploaded in one PUT, their MD5 checked
            against the ETag (default 8 MiB); larger ones as multipart uploads.
        max_failures_kept: failures kept with their reasons (default 1000).
    """

    dry_run: bool = False
    delete: bool = False
    size_only: bool = False
    exact_timestamps: bool = False
    follow_symlinks: bool = True
    verify: VerifyMode = "quick"
    workers: int = 4
    include: Include | None = None
    on_event: Callable[[SyncEvent], None] | None = None
    buffer_limit: int = 8 * MiB
    max_failures_kept: int = 1000

    def __post_init__(self) -> None:
        if self.verify not in ("off", "quick", "full"):
            raise InvalidArgument(f"verify must be 'off', 'quick' or 'full', not {self.verify!r}")
        for name in ("workers", "buffer_limit", "max_failures_kept"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidArgument(f"{name} must be a non-negative integer, not {value!r}")
        if self.workers < 1:
            raise InvalidArgument(f"workers must be a positive integer, not {self.workers!r}")


# ---------------------------------------------------------------- the folder side
class _Walker:
    """Lists a folder's regular files (and what it cannot read) under relative paths."""

    def __init__(
        self, root: Path, *, follow: bool, include: Include | None, folder_links: bool = True
    ) -> None:
        self.root = root
        self.follow = follow
        self.folder_links = folder_links
        self.include = include
        self.entries: list[_Entry] = []

    def walk(self) -> list[_Entry]:
        """Every entry, in UTF-8 byte order of its relative path."""
        self._folder(self.root, "", frozenset())
        self.entries.sort(key=lambda entry: entry[0])
        return self.entries

    def _add(self, relative: str, entry: LocalEntry) -> None:
        folder = isinstance(entry, Unread) and relative.endswith("/")
        if folder or self.include is None or self.include(relative):
            self.entries.append((relative.encode("utf-8"), relative, entry))

    def _folder(self, path: Path, relative: str, above: frozenset[tuple[int, int]]) -> None:
        """List ``path`` (``relative`` ends with ``/``, or is ``""``); ``above`` holds the
        folders it lies in, so a link back to one of them is not entered (no loop)."""
        try:
            info = os.stat(path)
            here = (info.st_dev, info.st_ino)
            if here in above:
                self._add(relative, Unread(relative, "a link back to a folder above it", True))
                return
            with os.scandir(path) as listing:
                children = list(listing)
        except OSError as exc:
            self._add(relative, Unread(relative, f"cannot list the folder: {exc.strerror}"))
            return
        for child in children:
            try:
                child.name.encode("utf-8")
            except UnicodeEncodeError:
                shown = relative + os.fsencode(child.name).decode("utf-8", "replace")
                self._add(shown, Unread(shown, "its name is not UTF-8"))
                continue
            self._child(child, relative + child.name, above | {here})

    def _child(
        self, child: os.DirEntry[str], relative: str, above: frozenset[tuple[int, int]]
    ) -> None:
        link = child.is_symlink()
        if link and (not self.follow or (not self.folder_links and child.is_dir())):
            # left out: every object under it (a folder's, ``relative/``) is kept
            shown = relative + "/" if child.is_dir() else relative
            self._add(shown, Unread(shown, "a symbolic link (not followed)", silent=True))
            return
        try:
            info = child.stat(follow_symlinks=True)
        except OSError:
            self._add(relative, Unread(relative, "a broken symbolic link"))
            return
        if stat.S_ISDIR(info.st_mode):
            self._folder(Path(child.path), relative + "/", above)
        elif not stat.S_ISREG(info.st_mode):
            self._add(relative, Unread(relative, "not a regular file", silent=True))
        elif not os.access(child.path, os.R_OK):
            self._add(relative, Unread(relative, "permission denied"))
        else:
            self._add(relative, LocalFile(Path(child.path), info.st_size, info.st_mtime_ns, link))


def local_entries(root: Path, *, follow_symlinks: bool, include: Include | None) -> list[_Entry]:
    """``(sort key, relative path, entry)`` of everything under ``root``, in UTF-8 byte
    order: regular files, and what cannot be read (``Unread``). A folder reached again
    through a link is listed once (no loop).

    Raises:
        InvalidArgument: ``root`` is not a folder.
    """
    if not root.is_dir():
        raise InvalidArgument(f"{str(root)!r} is not a folder", code="NotAFolder")
    return _Walker(root, follow=follow_symlinks, include=include).walk()


def _destination_entries(root: Path, include: Include | None) -> list[_Entry]:
    """The folder a download writes into: files reached through links are compared but
    never deleted; no folder link is followed (``local_targets`` refuses a key that
    would land outside ``root``)."""
    if not root.exists():
        return []
    return _Walker(root, follow=True, include=include, folder_links=False).walk()


# ------------------------------------------------------------------- comparing
def _ns(moment: datetime | None) -> int | None:
    """``moment`` in nanoseconds since the epoch (a naive time taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def _newer(file_ns: int, object_ns: int) -> bool:
    """The file was modified after the object (at whole seconds for a server whose
    times have no fraction)."""
    if object_ns % _SECOND == 0:
        return file_ns // _SECOND > object_ns // _SECOND
    return file_ns > object_ns


def upload_reason(file: LocalFile, obj: ObjectInfo | None, options: FolderSyncOptions) -> str:
    """Why ``file`` must be uploaded over ``obj`` ("" when it is the same by aws's rule)."""
    if obj is None:
        return "missing at the destination"
    if file.size != obj.size:
        return f"size differs ({file.size} != {obj.size} bytes)"
    object_ns = _ns(obj.last_modified)
    if options.size_only or object_ns is None:
        return ""
    return "the file is newer" if _newer(file.mtime_ns, object_ns) else ""


def download_reason(obj: ObjectInfo, file: LocalEntry | None, options: FolderSyncOptions) -> str:
    """Why ``obj`` must be downloaded over ``file`` ("" when it is the same by aws's
    rule)."""
    if file is None:
        return "missing at the destination"
    if isinstance(file, Unread):
        return f"the local path is {file.reason}"
    if file.size != obj.size:
        return f"size differs ({obj.size} != {file.size} bytes)"
    object_ns = _ns(obj.last_modified)
    if options.size_only or object_ns is None:
        return ""
    if options.exact_timestamps:
        return "" if file.mtime_ns == object_ns else "the times differ (--exact-timestamps)"
    return "the local file is newer" if _newer(file.mtime_ns, object_ns) else ""


# --------------------------------------------------------------------- the run
@dataclass(frozen=True)
class _Sides:
    """The two ends of a folder sync."""

    direction: Direction
    root: Path
    store: ObjectStore
    bucket: str
    prefix: str

    def describe(self) -> tuple[str, str]:
        remote = f"{self.bucket}/{self.prefix}"
        return (str(self.root), remote) if self.direction == "upload" else (remote, str(self.root))


class _FolderRun:
    """One folder sync: walk both listings, copy in chunks, delete, verify, report."""

    def __init__(self, sides: _Sides, options: FolderSyncOptions) -> None:
        self.sides = sides
        self.options = options
        self.tally = Tally(options.max_failures_kept, options.on_event, options.dry_run)
        self.unreadable = Unreadables()  # what the source could not read: failures
        self.skipped = Unreadables()  # what it left out on purpose (links, special files)
        self.plain = not encrypted(sides.store)
        self.batch: list[_Copy] = []

    # -- listings
    def local(self) -> Iterator[_Entry]:
        opts, sides = self.options, self.sides
        if sides.direction == "upload":
            return iter(
                local_entries(
                    sides.root, follow_symlinks=opts.follow_symlinks, include=opts.include
                )
            )
        return iter(_destination_entries(sides.root, opts.include))

    def remote(self, exists: bool) -> Iterator[tuple[bytes, str, ObjectInfo]]:
        sides = self.sides
        if not exists:
            return iter(())
        return objects_in_order(sides.store, sides.bucket, sides.prefix, self.options.include)

    def pairs(self, exists: bool = True) -> Iterator[tuple[str, _Side, _Side]]:
        """``(relative, source entry, destination entry)`` in byte order."""
        if self.sides.direction == "upload":
            return merge(self.local(), self.remote(exists))
        return merge(self.remote(exists), self.local())

    # -- the copy pass
    def walk(self, *, exists: bool) -> None:
        extras = DeleteJournal()
        try:
            for relative, s, d in self.pairs(exists):
                self.one(relative, s, d, extras)
                if len(self.batch) >= CHUNK:
                    self.transfer()
            self.transfer()
            self.delete(extras)
        finally:
            extras.close()

    def one(self, relative: str, s: _Side, d: _Side, extras: DeleteJournal) -> None:
        """Decide one path: copy (queued), skip, keep, note for deletion or fail."""
        if isinstance(s, Unread) and s.silent:
            self.skipped.add(relative, s.reason)
            self.tally.record("skip", relative, reason=s.reason)
        elif isinstance(s, Unread):
            self.unreadable.add(relative, s.reason)
            self.tally.record("fail", relative, reason=f"the source could not read it: {s.reason}")
        elif s is None:
            self.extra(relative, d, extras)
        else:
            self.tally.source_objects += 1
            self.tally.source_bytes += s.size
            why = self.reason(relative, s, d)
            if why:
                self.batch.append(_Copy(relative, s, why))
            else:
                self.tally.record("skip", relative, s.size)

    def reason(self, relative: str, s: LocalFile | ObjectInfo, d: _Side) -> str:
        if isinstance(s, LocalFile):
            obj = d if isinstance(d, ObjectInfo) else None
            return upload_reason(s, obj, self.options)
        if s.key.endswith("/"):  # a folder marker: a folder
            return "" if (self.sides.root / relative).is_dir() else "no folder"
        return download_reason(s, d if isinstance(d, (LocalFile, Unread)) else None, self.options)

    def extra(self, relative: str, d: _Side, extras: DeleteJournal) -> None:
        """A destination entry the source lacks: noted for deletion (``delete``), kept
        (a link, something unreadable, the marker of a folder that exists: a skip; under
        something the source could not read: a failure), or counted as extra."""
        size = d.size if isinstance(d, (ObjectInfo, LocalFile)) else 0
        keep = self.kept(relative, d)
        if keep is not None:
            self.tally.record(keep[0], relative, size, reason=keep[1])
        elif self.options.delete:
            extras.add(relative, size)
        else:
            self.tally.record("extra", relative, size, reason="not in the source")

    def kept(self, relative: str, d: _Side) -> tuple[Action, str] | None:
        """Whether the destination entry ``relative`` stays whatever ``delete`` says:
        ``(action, reason)``, or None."""
        if isinstance(d, Unread):
            return "skip", f"kept: {d.reason}"
        if isinstance(d, LocalFile) and d.link:
            return "skip", "kept: a symbolic link"
        if relative.endswith("/") and (self.sides.root / relative).is_dir():
            return "skip", "kept: the folder exists"
        left_out = self.skipped.reason(relative)
        if left_out is not None:
            return "skip", f"kept: {left_out.replace('could not read', 'left out')}"
        why = self.unreadable.reason(relative)
        return None if why is None else ("fail", f"kept: {why}")

    def transfer(self) -> None:
        """Run the queued copies (none in a dry run) and record them."""
        queued, self.batch = self.batch, []
        if not queued:
            return
        if self.options.dry_run:
            for copy in queued:
                size = copy.source.size
                self.tally.record("copy", copy.relative, size, reason=copy.why, moved=size)
            return
        if self.sides.direction == "upload":
            self._uploads(queued)
        else:
            self._downloads(queued)

    def _uploads(self, queued: list[_Copy]) -> None:
        copies = [c for c in queued if isinstance(c.source, LocalFile)]
        files = [(c.relative, cast(LocalFile, c.source)) for c in copies]
        results = batch.run_each(
            files, lambda item: item[0], self._upload, workers=self.options.workers
        )
        for copy, result in zip(copies, results, strict=True):
            self._done(copy, result)

    def _upload(self, item: tuple[str, LocalFile]) -> int:
        relative, file = item
        sides = self.sides
        key = sides.prefix + relative
        if file.size > self.options.buffer_limit:
            return sides.store.upload_file(sides.bucket, key, str(file.path)).size
        data = _read(file.path, follow=self.options.follow_symlinks)
        result = sides.store.put_object(sides.bucket, key, data)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if self.plain and is_md5(result.etag) and result.etag != md5:
            raise IntegrityError(
                f"sync: the store kept other bytes (ETag {result.etag}, sent MD5 {md5})",
                bucket=sides.bucket,
                key=key,
            )
        return len(data)

    def _downloads(self, queued: list[_Copy]) -> None:
        sides = self.sides
        copies = [c for c in queued if isinstance(c.source, ObjectInfo)]
        objects = [cast(ObjectInfo, c.source) for c in copies]
        targets = batch.local_targets(
            sides.root, ((o.key, o.key[len(sides.prefix) :]) for o in objects)
        )
        mtimes = {o.key: ns for o in objects if (ns := _ns(o.last_modified)) is not None}
        results = batch.download_to(
            sides.store,
            sides.bucket,
            targets,
            mtimes=mtimes,
            sizes={o.key: o.size for o in objects},
            max_workers=self.options.workers,
        )
        for copy, result in zip(copies, results, strict=True):
            self._done(copy, result)

    def _done(self, copy: _Copy, result: batch.ItemResult[int]) -> None:
        size = copy.source.size
        if result.error is not None:
            self.tally.record("fail", copy.relative, size, reason=str(result.error))
        else:
            moved = result.value or 0
            self.tally.record("copy", copy.relative, size, reason=copy.why, moved=moved)

    # -- deletes
    def delete(self, extras: DeleteJournal) -> None:
        """Delete what was noted, only now that both listings were read whole."""
        for noted in extras.batches(1000):
            sizes = dict(noted)
            if self.sides.direction == "upload":
                self._delete_objects(sizes)
            else:
                for relative, size in sizes.items():
                    self._delete_file(relative, size)

    def _delete_objects(self, sizes: dict[str, int]) -> None:
        sides = self.sides
        full = {sides.prefix + relative: size for relative, size in sizes.items()}
        plan = plan_deletes(Scope(sides.bucket, sides.prefix), full, operation="sync")
        self.tally.deletes(
            sides.store, plan, full, prefix=sides.prefix, reason="not in the folder", dry_reason=""
        )

    def _delete_file(self, relative: str, size: int) -> None:
        if self.options.dry_run:
            self.tally.record("delete", relative, size)
            return
        try:
            remove_inside(self.sides.root, relative)
        except (OSError, InvalidArgument) as exc:
            self.tally.record("fail", relative, size, reason=f"delete failed: {exc}")
            return
        self.tally.record("delete", relative, size, reason="not in the source")

    # -- verification and report
    def report(self) -> SyncReport:
        off = self.options.dry_run or self.options.verify == "off"
        counted = None if off else self.verify()
        return self.tally.report(*self.sides.describe(), counted)

    def verify(self) -> tuple[int, int]:
        """List both sides again; each source entry must be at the destination with its
        size (with ``verify="full"``, its SHA-256); with ``delete``, no unkept extra (each
        difference noted by ``Tally.problem``). Returns the destination's (entries, bytes)."""
        objects = total = 0
        unreadable = Unreadables()
        for relative, s, d in self.pairs():
            if isinstance(d, (ObjectInfo, LocalFile)):
                objects += 1
                total += d.size
            self.tally.problem(relative, self.verdict(relative, s, d, unreadable))
        return objects, total

    def verdict(self, relative: str, s: _Side, d: _Side, unreadable: Unreadables) -> str:
        """What the verification finds wrong with one path ("" when nothing)."""
        if isinstance(s, Unread):
            unreadable.add(relative, s.reason)
            return "" if s.silent else f"not verified: the source could not read it: {s.reason}"
        if s is None:
            strict = self.options.delete and self.kept(relative, d) is None
            return "extra at the destination (not in the source)" if strict else ""
        if isinstance(s, ObjectInfo) and s.key.endswith("/"):
            return (
                "" if (self.sides.root / relative).is_dir() else "folder missing at the destination"
            )
        if not isinstance(d, (ObjectInfo, LocalFile)):
            return "missing at the destination"
        if s.size != d.size:
            return f"size differs ({s.size} != {d.size} bytes)"
        if self.options.verify == "full" and self._sha256(s) != self._sha256(d):
            return "content differs (SHA-256)"
        return ""

    def _sha256(self, entry: ObjectInfo | LocalFile) -> str:
        if isinstance(entry, LocalFile):
            with open(entry.path, "rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()
        return stream_sha256(self.sides.store, self.sides.bucket, entry.key)[0]


def _read(path: Path, *, follow: bool) -> bytes:
    """The bytes of a file (never through a link when ``follow`` is off)."""
    fd = os.open(path, os.O_RDONLY | (0 if follow else os.O_NOFOLLOW))
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def remove_inside(root: Path, relative: str) -> None:
    """Remove the regular file ``root/relative``, reaching it from ``root`` one folder
    at a time without following a symbolic link, so nothing outside ``root`` is touched.

    Raises:
        InvalidArgument: ``relative`` holds an empty, ``.`` or ``..`` segment, or names
            something other than a regular file (a link, a folder).
        OSError: the file or a folder on the way could not be opened or removed.
    """
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidArgument(f"{relative!r} is not a plain relative path; not deleted")
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW
    fds = [os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))]
    try:
        for part in parts[:-1]:
            fds.append(os.open(part, flags, dir_fd=fds[-1]))
        info = os.stat(parts[-1], dir_fd=fds[-1], follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidArgument(f"{relative!r} is not a regular file; not deleted")
        os.unlink(parts[-1], dir_fd=fds[-1])
    finally:
        for fd in reversed(fds):
            with contextlib.suppress(OSError):
                os.close(fd)


# ------------------------------------------------------------------ entry points
def _run(sides: _Sides, options: FolderSyncOptions, *, exists: bool) -> SyncReport:
    run = _FolderRun(sides, options)
    run.walk(exists=exists)
    return log_report(run.report())


def upload_folder(
    folder: str | os.PathLike[str],
    store: ObjectStore,
    bucket: str,
    *,
    prefix: str = "",
    options: FolderSyncOptions | None = None,
) -> SyncReport:
    """Make ``bucket/prefix`` hold the files of ``folder`` (see the module).

    Args:
        store, bucket: where to upload (a missing bucket is created, not in a dry run).
        prefix: the folder of keys (default ""; ``"site"`` means ``site/``).
        options: the flags (default ``FolderSyncOptions()``).

    Returns:
        The ``SyncReport``; ``report.ok`` False when something failed or did not verify.

    Raises:
        InvalidArgument: ``folder`` is not a folder, or lies inside the local store.
        StorageError: listing the bucket failed (nothing was deleted).
        OutOfScope: a planned delete outside ``bucket/prefix`` (nothing was deleted).
    """
    options = options or FolderSyncOptions()
    root = _root(folder, store, missing_ok=False)
    exists = store.bucket_exists(bucket)
    if not exists and not options.dry_run:
        store.create_bucket(bucket)
        exists = True
    return _run(_Sides("upload", root, store, bucket, as_folder(prefix)), options, exists=exists)


def download_folder(
    store: ObjectStore,
    bucket: str,
    folder: str | os.PathLike[str],
    *,
    prefix: str = "",
    options: FolderSyncOptions | None = None,
) -> SyncReport:
    """Make ``folder`` hold the objects under ``bucket/prefix`` as plain files (see the
    module); the folder is created when missing (not in a dry run).

    Raises:
        BucketNotFound: the bucket does not exist.
        InvalidArgument: ``folder`` is a file, or lies inside the local store read.
        StorageError: the listing failed (nothing was deleted).
    """
    options = options or FolderSyncOptions()
    root = _root(folder, store, missing_ok=True)
    if not store.bucket_exists(bucket):
        raise BucketNotFound("sync: the source bucket does not exist", bucket=bucket, status=404)
    if not options.dry_run:
        root.mkdir(parents=True, exist_ok=True)
    return _run(_Sides("download", root, store, bucket, as_folder(prefix)), options, exists=True)


def _root(folder: str | os.PathLike[str], store: ObjectStore, *, missing_ok: bool) -> Path:
    """``folder`` resolved; InvalidArgument when it is not a folder (or is missing,
    unless ``missing_ok``), or lies inside the local store's root (or holds it): the
    sync would read what it writes."""
    root = Path(folder).resolve()
    if (root.exists() or not missing_ok) and not root.is_dir():
        raise InvalidArgument(f"{str(folder)!r} is not a folder", code="NotAFolder")
    where = store.location
    place = Path(where.place) if where.kind == "local" else None
    if place is not None and (root == place or place in root.parents or root in place.parents):
        raise InvalidArgument(
            f"sync: the folder {str(root)!r} and the local store at {where.place!r} overlap; "
            "use a folder outside the store's root"
        )
    return root


__all__ = [
    "FolderSyncOptions",
    "LocalFile",
    "Unread",
    "download_folder",
    "download_reason",
    "local_entries",
    "remove_inside",
    "upload_folder",
    "upload_reason",
]
