"""Local files and streams, as both stores use them: checked paths, atomic writes, sizes,
content types.

Checks raise ``InvalidArgument`` naming the argument (``path``, or the caller's name
for it: the facade's ``file_path`` and ``destination_path``, see ``validation.naming``)
and what is wrong with it, before any request is made.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import re
import stat
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from backend.src.libs.bucket.errors import InvalidArgument
from backend.src.libs.bucket.validation import named

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
    fsynced and renamed over ``target`` (and the folder fsynced), on an error removed.

    ``target`` holds its old bytes (or does not exist) until the rename: a failure or a
    killed writer never leaves it half-written.

    Modes: a new file gets ``0o666`` less the process umask (``0o644`` with the usual
    ``022``); replacing an existing file keeps its permission bits (``0o600`` stays
    ``0o600``) but not its owner, group, ACLs or set-ID bits (a rename makes a new file,
    owned by this process).
    """
    temp = target.parent / temp_name(target.name)
    mode = _kept_mode(target)
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o666)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            yield fd
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(target.parent)


FLUSH_EVERY = 64 * 1024 * 1024
"""Bytes written between two background flushes of a download (``BackgroundFlush``)."""


class BackgroundFlush:
    """Flushes a file being written to disk in the background, so that the fsync that
    ends the write (``atomic_file``) only has the tail left to flush.

    Each time another ``every`` bytes (default ``FLUSH_EVERY``, 64 MiB) were reported
    written (``wrote``), one thread runs ``os.fdatasync`` on the file; never two at once
    (bytes written meanwhile count towards the next). An error of a background flush is
    kept and raised by ``wait``: the kernel reports a write-back error once per open
    file, so the final fsync might not see it again.

    Use it through ``flushing``, which waits for the flush in flight before the file
    descriptor can be closed. Thread-safety: ``wrote`` may be called from any thread.
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
    """True for the names of the temporary files this library writes: a ``LocalStore``
    write (``.<32 hex>.tmp``) or ping probe (``.ping-<32 hex>.tmp``), and an
    ``atomic_file`` (every download) beside its target (``.<name>.<32 hex>.part``).

    A writer removes its temporary when it fails or is interrupted (SIGINT, or SIGTERM
    in the CLI); only a killed process (SIGKILL, a crash, power loss) leaves one.
    """
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
