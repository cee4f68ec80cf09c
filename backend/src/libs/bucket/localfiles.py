"""Local files and streams, as both stores use them: checked paths, atomic writes, sizes,
content types.

Checks raise ``InvalidArgument`` naming the argument (``file_path``,
``destination_path``) and what is wrong with it, before any request is made.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from backend.src.libs.bucket.errors import InvalidArgument

DEFAULT_CONTENT_TYPE = "application/octet-stream"


def guess_content_type(key: str) -> str:
    """The MIME type suggested by the key's extension, else ``application/octet-stream``."""
    guessed, _ = mimetypes.guess_type(key, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


def readable_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a ``Path`` after checking it is an existing, readable regular file.

    Raises:
        InvalidArgument: not a path, missing, not a regular file, or not readable.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"file_path must be a path, not {type(path).__name__}")
    source = Path(path)
    if not source.exists():
        raise InvalidArgument(f"file_path {str(source)!r} does not exist", code="NoSuchFile")
    if not source.is_file():
        raise InvalidArgument(f"file_path {str(source)!r} is not a regular file", code="NotAFile")
    if not os.access(source, os.R_OK):
        raise InvalidArgument(f"file_path {str(source)!r} is not readable", code="AccessDenied")
    return source


def writable_target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a ``Path`` after checking a file can be written there.

    Raises:
        InvalidArgument: not a path, a folder, or its folder is missing or not writable.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"destination_path must be a path, not {type(path).__name__}")
    target = Path(path)
    if target.is_dir():
        raise InvalidArgument(
            f"destination_path {str(target)!r} is a directory", code="IsADirectory"
        )
    folder = target.parent
    if not folder.is_dir():
        raise InvalidArgument(
            f"destination_path's folder {str(folder)!r} does not exist", code="NoSuchFolder"
        )
    if not os.access(folder, os.W_OK):
        raise InvalidArgument(
            f"destination_path's folder {str(folder)!r} is not writable", code="AccessDenied"
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


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk; best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[int]:
    """A file descriptor of a temporary file beside ``target``; on a clean exit it is
    fsynced and renamed over ``target`` (and the folder fsynced), on an error removed.

    ``target`` holds its old bytes (or does not exist) until the rename: a failure or a
    killed writer never leaves it half-written.
    """
    temp = target.parent / f".{target.name}.{uuid.uuid4().hex}.part"
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    try:
        try:
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


def write_atomically(target: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``target`` through ``atomic_file``: whole or not at all."""
    with atomic_file(target) as fd:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
