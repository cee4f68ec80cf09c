"""Local files and streams, as both stores use them: checked paths, atomic writes, sizes,
content types.

Checks raise ``InvalidArgument`` naming the argument (``path``, or the caller's name
for it: the facade's ``file_path`` and ``destination_path``, see ``validation.naming``)
and what is wrong with it, before any request is made.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import errno
import mimetypes
import os
import re
import stat
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from backend.src.libs.bucket.base.errors import InvalidArgument
from backend.src.libs.bucket.base.validation import named

DEFAULT_CONTENT_TYPE = "application/octet-stream"
NAME_MAX = 255  # bytes in one file name: Linux, macOS, the BSDs
_TEMP_OVERHEAD = len("." + "." + uuid.UUID(int=0).hex + ".part")  # 39: what temp_name adds


def guess_content_type(key: str) -> str:
    """The MIME type suggested by the key's extension, else ``application/octet-stream``."""
    guessed, _ = mimetypes.guess_type(key, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


def readable_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a ``Path`` after checking it is an existing, readable regular file.

    Raises:
        InvalidArgument: not a path, missing, not a regular file, or not readable.
    """
    argument = named("path")
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"{argument} must be a path, not {type(path).__name__}")
    source = Path(path)
    if not source.exists():
        raise InvalidArgument(f"{argument} {str(source)!r} does not exist", code="NoSuchFile")
    if not source.is_file():
        raise InvalidArgument(f"{argument} {str(source)!r} is not a regular file", code="NotAFile")
    if not os.access(source, os.R_OK):
        raise InvalidArgument(f"{argument} {str(source)!r} is not readable", code="AccessDenied")
    return source


def writable_target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a ``Path`` after checking a file can be written there.

    Raises:
        InvalidArgument: not a path, a folder, a file name longer than ``NAME_MAX`` bytes
            (code ``NameTooLong``), or its folder is missing or not writable.
    """
    argument = named("path")
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"{argument} must be a path, not {type(path).__name__}")
    target = Path(path)
    if len(os.fsencode(target.name)) > NAME_MAX:
        raise InvalidArgument(
            f"{argument} {str(target)!r} has a file name of "
            f"{len(os.fsencode(target.name))} bytes; the file-system limit is {NAME_MAX}",
            code="NameTooLong",
        )
    if target.is_dir():
        raise InvalidArgument(f"{argument} {str(target)!r} is a directory", code="IsADirectory")
    folder = target.parent
    if not folder.is_dir():
        raise InvalidArgument(
            f"{argument}'s folder {str(folder)!r} does not exist", code="NoSuchFolder"
        )
    if not os.access(folder, os.W_OK):
        raise InvalidArgument(
            f"{argument}'s folder {str(folder)!r} is not writable", code="AccessDenied"
        )
    return target


def remaining_size(stream: IO[bytes]) -> int | None:
    """Bytes left from the stream's position to its end, or None when it cannot seek."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def fsync_fd(fd: int) -> None:
    """Flush an open folder's entries (a rename in it) to disk; best effort."""
    with contextlib.suppress(OSError):
        os.fsync(fd)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk; best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        fsync_fd(fd)
    finally:
        os.close(fd)


def temp_name(name: str) -> str:
    """A fresh hidden name for a temporary file beside ``name``, at most ``NAME_MAX`` bytes.

    ``.<name>.<32 hex>.part``, with ``name`` cut (on its bytes) so that the whole fits:
    any name the file system accepts gets a temporary name it accepts too.
    """
    room = NAME_MAX - _TEMP_OVERHEAD
    stem = os.fsencode(name)[:room]
    return f".{os.fsdecode(stem)}.{uuid.uuid4().hex}.part"


def _kept_mode(target: Path) -> int | None:
    """The permission bits of the file ``target`` names now (a link's target's), or None.

    Set-user-ID, set-group-ID and sticky bits are not kept: new bytes under an old
    privilege would be a surprise.
    """
    try:
        return stat.S_IMODE(os.stat(target).st_mode) & 0o777
    except OSError:
        return None


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[int]:
    """A file descriptor of a temporary file beside ``target``; on a clean exit it is
    fsynced and renamed over ``target`` (and the folder fsynced), on an error removed:
    ``target`` keeps its old bytes (or does not exist) until the rename. Inside
    ``deferred_renames()`` (this thread's context) the clean exit hands the temporary to
    that ``DeferredFiles`` instead of fsyncing and renaming it.

    Modes: a new file gets ``0o666`` less the process umask; replacing a file keeps its
    permission bits, not its owner, group, ACLs or set-ID bits (a rename makes a new file).
    """
    temp = target.parent / temp_name(target.name)
    mode = _kept_mode(target)
    deferred = _DEFERRED.get()
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o666)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            yield fd
            size = os.fstat(fd).st_size if deferred is not None else 0
            if deferred is None:
                os.fsync(fd)
        finally:
            os.close(fd)
        if deferred is not None:
            deferred.add(temp, target, size)
            return
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(target.parent)


# ------------------------------------------------------------ deferred renames
DEFER_FILES = 1000
"""Files a ``DeferredFiles`` holds before it commits them (one flush, then the renames)."""
DEFER_BYTES = 256 * 1024 * 1024
"""Bytes a ``DeferredFiles`` holds before it commits them."""

_DEFERRED: contextvars.ContextVar[DeferredFiles | None] = contextvars.ContextVar(
    "bucket_deferred_files", default=None
)


def _load_syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs(fd)`` (Linux), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast("Callable[[int], int]", function)


_syncfs = _load_syncfs()


def sync_filesystem(folder: Path) -> None:
    """Flush to disk everything written to the file system holding ``folder``
    (``syncfs(2)``: data, metadata and the folder entries of every file on it).

    Raises:
        OSError: the flush failed (a write-back error: some bytes may not be on disk),
            or this platform has no ``syncfs`` (callers then fsync file by file).
    """
    if _syncfs is None:
        raise OSError(errno.ENOSYS, "syncfs is not available here")
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        if _syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"syncfs: {os.strerror(code)}", str(folder))
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _Pending:
    temp: Path
    target: Path
    size: int


class DeferredFiles:
    """Files written whole as temporaries, made durable together, then renamed.

    An fsync per file costs ~1 ms on a local disk: most of a small download. Here
    ``atomic_file`` hands its temporary (written, not fsynced) to ``add``; every
    ``DEFER_FILES`` files or ``DEFER_BYTES`` bytes, and at ``commit``:

    1. each temporary gets its requested modification time (``stamp``);
    2. one ``syncfs`` per file system holding them flushes their bytes (without
       ``syncfs``, each temporary is fsynced);
    3. each is renamed over its target;
    4. a second flush makes the renames durable (each folder fsynced without ``syncfs``).

    So a target is replaced only by bytes already on disk: a crash at any point leaves
    each target whole, old or new; what was not renamed stays a ``.part`` temporary
    (``bucket gc`` removes it).

    Failures are kept in ``failures`` (target -> error), never raised: a rename that
    fails (its temporary removed), and a flush that fails (every temporary of that group
    removed, none renamed, each of its targets listed). Thread-safety: ``add``, ``stamp``
    and ``commit`` may be called from any thread; one commit runs at a time.
    """

    def __init__(self, *, files: int = DEFER_FILES, size: int = DEFER_BYTES) -> None:
        self._lock = threading.Lock()
        self._committing = threading.Lock()
        self._pending: list[_Pending] = []
        self._bytes = 0
        self._stamps: dict[Path, int] = {}
        self._limits = (files, size)
        self._closed = False
        self.failures: dict[Path, OSError] = {}
        self.renamed = 0

    def stamp(self, target: Path, mtime_ns: int) -> None:
        """Give ``target`` the modification time ``mtime_ns`` (nanoseconds since the
        epoch) when it is committed: set on the temporary before the flush."""
        with self._lock:
            self._stamps[target] = mtime_ns

    def add(self, temp: Path, target: Path, size: int) -> None:
        """Take the written temporary ``temp`` of ``target``; commit when the limits
        are reached.

        Raises:
            RuntimeError: the batch was closed (the temporary is removed).
        """
        with self._lock:
            if self._closed:
                _remove(temp)
                raise RuntimeError("deferred files: the batch is closed")
            self._pending.append(_Pending(temp, target, size))
            self._bytes += size
            full = len(self._pending) >= self._limits[0] or self._bytes >= self._limits[1]
        if full:
            self.commit()

    def _take(self) -> tuple[list[_Pending], dict[Path, int]]:
        with self._lock:
            taken, self._pending, self._bytes = self._pending, [], 0
            stamps = {
                p.target: self._stamps.pop(p.target) for p in taken if p.target in self._stamps
            }
        return taken, stamps

    def commit(self) -> None:
        """Flush, then rename, every temporary added so far (see the class); what
        failed is in ``failures``."""
        with self._committing:
            taken, stamps = self._take()
            if not taken:
                return
            try:
                for item in taken:
                    if item.target in stamps:
                        _stamp(item.temp, stamps[item.target])
                _flush(p.temp for p in taken)
            except OSError as exc:
                self._fail(taken, exc)
                return
            except BaseException:
                self._fail(taken, None)
                raise
            renamed = [item for item in taken if self._rename(item)]
            _flush_entries(p.target for p in renamed)

    def _fail(self, group: list[_Pending], error: OSError | None) -> None:
        """Remove the temporaries of ``group``; note ``error`` (if any) for each target."""
        for item in group:
            _remove(item.temp)
        if error is not None:
            with self._lock:
                self.failures.update((item.target, error) for item in group)

    def _rename(self, item: _Pending) -> bool:
        try:
            os.replace(item.temp, item.target)
        except OSError as exc:
            self._fail([item], exc)
            return False
        with self._lock:
            self.renamed += 1
        return True

    def discard(self) -> None:
        """Close the batch: remove every temporary not committed; a later ``add``
        removes its temporary and raises."""
        with self._lock:
            self._closed = True
            taken, self._pending, self._bytes = self._pending, [], 0
        self._fail(taken, None)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _stamp(path: Path, mtime_ns: int) -> None:
    atime_ns = os.stat(path).st_atime_ns
    os.utime(path, ns=(atime_ns, mtime_ns))


def _filesystems(paths: Iterable[Path]) -> dict[int, Path]:
    """One folder per file system (by device) among the folders of ``paths``."""
    found: dict[int, Path] = {}
    for folder in {path.parent for path in paths}:
        found.setdefault(os.stat(folder).st_dev, folder)
    return found


def _flush(temps: Iterable[Path]) -> None:
    """Make the bytes of ``temps`` durable: one ``syncfs`` per file system, else an
    fsync of each file.

    Raises:
        OSError: a flush failed.
    """
    if _syncfs is not None:
        for folder in _filesystems(temps).values():
            sync_filesystem(folder)
        return
    for path in temps:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _flush_entries(targets: Iterable[Path]) -> None:
    """Make the renames onto ``targets`` durable (best effort, as ``fsync_dir``)."""
    if _syncfs is not None:
        for folder in _filesystems(targets).values():
            with contextlib.suppress(OSError):
                sync_filesystem(folder)
        return
    for folder in {path.parent for path in targets}:
        fsync_dir(folder)


@contextlib.contextmanager
def deferred_renames(
    *, files: int = DEFER_FILES, size: int = DEFER_BYTES
) -> Iterator[DeferredFiles]:
    """``atomic_file`` in this context (and in the contexts copied from it, as
    ``batch`` copies it into its worker threads) defers to one ``DeferredFiles``; on a
    clean exit it is committed (every file durable under its name, but those listed in
    ``failures``), on an error or an interrupt the temporaries not yet committed are
    removed."""
    deferred = DeferredFiles(files=files, size=size)
    token = _DEFERRED.set(deferred)
    try:
        yield deferred
        deferred.commit()
    finally:
        _DEFERRED.reset(token)
        deferred.discard()


FLUSH_EVERY = 64 * 1024 * 1024
"""Bytes written between two background flushes of a download (``BackgroundFlush``)."""


class BackgroundFlush:
    """Flushes a file being written to disk in the background, so that the fsync that
    ends the write (``atomic_file``) only has the tail left to flush.

    Each time another ``every`` bytes were reported written (``wrote``), one thread runs
    ``os.fdatasync`` on the file, never two at once. A background flush's error is kept
    and raised by ``wait`` (the kernel reports a write-back error once per open file).
    Use it through ``flushing``; ``wrote`` may be called from any thread.
    """

    def __init__(self, fd: int, every: int = FLUSH_EVERY) -> None:
        self._fd = fd
        self._every = every
        self._pending = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None
        self.flushes = 0

    def wrote(self, size: int) -> None:
        """Count ``size`` more bytes written; start a flush when ``every`` are pending and
        none is running."""
        with self._lock:
            self._pending += size
            running = self._thread is not None and self._thread.is_alive()
            if self._pending < self._every or running or self._error is not None:
                return
            self._pending = 0
            self.flushes += 1
            self._thread = threading.Thread(target=self._flush, name="bucket-flush", daemon=True)
            self._thread.start()

    def _flush(self) -> None:
        try:
            _datasync(self._fd)
        except OSError as exc:
            self._error = exc

    def wait(self) -> None:
        """Wait for the flush in flight, if any.

        Raises:
            OSError: a background flush failed (the file's bytes may not be on disk).
        """
        thread = self._thread
        if thread is not None:
            thread.join()
        if self._error is not None:
            raise self._error


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


@contextlib.contextmanager
def flushing(fd: int, every: int = FLUSH_EVERY) -> Iterator[BackgroundFlush]:
    """A ``BackgroundFlush`` of ``fd`` for the length of the block; on exit the flush in
    flight is waited for (its error raised on a clean exit, never over another error)."""
    flush = BackgroundFlush(fd, every)
    try:
        yield flush
    except BaseException:
        with contextlib.suppress(OSError):
            flush.wait()
        raise
    flush.wait()


def write_atomically(target: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``target`` through ``atomic_file``: whole or not at all."""
    with atomic_file(target) as fd:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]


# ------------------------------------------------------------------ temporaries
_TEMPORARY = re.compile(
    r"\.(?:[0-9a-f]{32}\.tmp"  # a LocalStore write in progress: .<32 hex>.tmp
    r"|ping-[0-9a-f]{32}\.tmp"  # LocalStore.ping's probe: .ping-<32 hex>.tmp
    r"|.*\.[0-9a-f]{32}\.part)",  # atomic_file (a download): .<name>.<32 hex>.part
    re.DOTALL,
)


def is_temporary(name: str) -> bool:
    """True for the names of the temporary files this library writes (the three forms of
    ``_TEMPORARY``). A writer removes its temporary when it fails or is interrupted; only
    a killed process (SIGKILL, a crash, power loss) leaves one."""
    return _TEMPORARY.fullmatch(name) is not None


@dataclass(frozen=True)
class Temporary:
    """A temporary file found by ``find_temporaries``: its path, size and age (seconds)."""

    path: Path
    size: int
    age: float


def find_temporaries(
    folder: str | os.PathLike[str], *, older_than: float = 0.0, now: float | None = None
) -> Iterator[Temporary]:
    """The temporary files (``is_temporary``) under ``folder``, at any depth, last
    modified more than ``older_than`` seconds before ``now`` (default: the current time).

    Symbolic links are never followed nor reported; folders that cannot be read are
    skipped. A grace period (``older_than``) keeps the temporaries of writes still in
    progress: a live writer touches its file as it writes.
    """
    limit = (time.time() if now is None else now) - older_than
    for parent, folders, files in os.walk(folder, followlinks=False):
        folders.sort()
        for name in sorted(files):
            if not is_temporary(name):
                continue
            path = Path(parent, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue  # removed meanwhile (its writer finished)
            if stat.S_ISREG(info.st_mode) and info.st_mtime <= limit:
                yield Temporary(path, info.st_size, max(0.0, limit + older_than - info.st_mtime))
