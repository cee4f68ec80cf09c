"""``LocalStore``: the ``ObjectStore`` protocol on a local folder (the embedded default).

Layout under ``config.local_root``::

    <root>/
      <bucket>/                    one folder per bucket (names checked like S3's)
        .bucket.json               creation time of the bucket
        photos/                    a key segment that has keys below it
          2025/
            cat.jpg~               the object "photos/2025/cat.jpg"
        photos~                    the object "photos" (coexists with "photos/...")
        %2Eenv~                    the object ".env"
        .3f9c...e1.tmp             a write in progress (or left by a killed writer)

Key encoding. A key is split on ``/``: every segment but the last names a folder, the
last a file. Each segment is percent-encoded: ASCII letters, digits, ``-``, ``_`` and
``.`` stay (a leading ``.`` becomes ``%2E``); every other UTF-8 byte becomes ``%XX``.
An object's file is its encoded last segment plus ``~``; a folder is the encoded
segment alone (``%`` for an empty segment, as in ``a//b``). ``~`` is always encoded,
so a file never has a folder's name: the keys ``a`` and ``a/b`` coexist as ``a~`` and
``a/b~``. No encoded name starts with ``.``, so temporary and bookkeeping files (which
do) never collide with objects, and none is ``.`` or ``..``: a key cannot leave its
bucket.

Object files hold the object's bytes from offset 0, then a trailer: the properties as
JSON (size, ETag = hex MD5 of the bytes, content type, user metadata lowercased,
last-modified time, key), the JSON's length as an 8-byte big-endian integer and the
8-byte magic ``b"bucket1\\n"``. One ``rename`` thus commits data and metadata together.
``head -c <size> file`` gives the bytes.

Writes are atomic: a temporary file in the object's folder, fsynced, renamed over the
old file, then the folder fsynced; a killed writer leaves the old object (or none) and
at worst a hidden ``.*.tmp`` file that listings ignore. A read uses one open
descriptor, so a concurrent overwrite or delete never mixes two versions in it.

Links. Each folder, and the object file, is opened relative to its parent's descriptor
with ``O_NOFOLLOW`` (``openat``): a link at or below the root (the root included) is
refused with ``PermissionDenied`` (code ``SymlinkRefused``) and skipped by listings
with a warning. Folders above the root are followed.

Damage. An object file that is not a regular file or whose trailer is not what the
store writes is an ``IntegrityError`` for reads of that key; listings skip it with a
WARNING naming the key and file.

Limits (see ``docs/local.md``): an encoded segment may not exceed 255 bytes; keys
differing only by case collide on case-insensitive file systems; keys with ``..``
segments, backslashes, control characters or a leading ``/`` are refused although S3
accepts them; no versioning, presigned URLs or server-side encryption
(``NotSupported``).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import stat
import struct
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar, NamedTuple, TypedDict

from backend.src.libs.bucket.base.capabilities import check_write
from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import (
    AlreadyExists,
    BucketNotEmpty,
    BucketNotFound,
    ConnectionFailed,
    IntegrityError,
    InvalidArgument,
    NotFound,
    NotSupported,
    ObjectNotFound,
    PermissionDenied,
    StorageError,
)
from backend.src.libs.bucket.base.files import (
    NAME_MAX,
    fsync_fd,
    guess_content_type,
    readable_file,
    remaining_size,
    writable_target,
    write_atomically,
)
from backend.src.libs.bucket.base.options import NO_OPTIONS
from backend.src.libs.bucket.base.planner import Scope, move_verified, plan_deletes
from backend.src.libs.bucket.base.results import EnsureReport, EnsureStep
from backend.src.libs.bucket.base.store import (
    BucketDeletion,
    BucketInfo,
    Data,
    DeleteError,
    DeleteResult,
    ListEntry,
    ObjectInfo,
    PrefixInfo,
    ProgressCallback,
    StoreLocation,
    Unreadable,
    UploadResult,
)
from backend.src.libs.bucket.base.validation import (
    check_bucket_name,
    check_key,
    check_listing,
    check_metadata,
    check_portable_key,
    check_range,
    named,
)
from backend.src.libs.core.logs import library_logger

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from backend.src.libs.bucket.base.options import TransferSettings, WriteOptions
    from backend.src.libs.bucket.base.results import LifecycleRule, PresignedPost

log = library_logger("bucket.local")

CHUNK = 1024 * 1024
MAGIC = b"bucket1\n"
_TRAILER = struct.Struct(">Q8s")
MAX_HEADER_BYTES = 64 * 1024
OBJECT_SUFFIX = "~"
EMPTY_SEGMENT_DIR = "%"
BUCKET_FILE = ".bucket.json"
_ENCODED = re.compile(r"(?:[A-Za-z0-9_.-]|%[0-9A-F]{2})*")  # what encode_segment makes
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # a FIFO must not block a read
_TEMP_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.ENOTDIR})  # O_NOFOLLOW's answers to a link
# what ``LocalStore._os_error`` makes of these (any other: a StorageError coded by errno)
_ERRNO_ERRORS: dict[int | None, tuple[type[StorageError], str, str]] = {
    errno.ENAMETOOLONG: (
        InvalidArgument,
        "the key is too long for the local file system",
        "KeyTooLongError",
    ),
    errno.ENOSPC: (StorageError, "no space left on the device", "InsufficientStorage"),
}


# ----------------------------------------------------------------- key encoding
def encode_segment(segment: str) -> str:
    """Percent-encode one key segment (no ``/``) as the module docstring says: the name
    never contains ``/``, ``~`` or ``\\``, never starts with ``.``, and is empty only
    for an empty segment."""
    encoded = urllib.parse.quote(segment, safe="").replace("~", "%7E")
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


def decode_segment(name: str) -> str | None:
    """Inverse of ``encode_segment``; None if ``name`` is not an encoded segment."""
    if _ENCODED.fullmatch(name) is None or (name.startswith(".") and "%" not in name):
        return None
    try:
        return urllib.parse.unquote_to_bytes(name).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _dir_name(segment: str) -> str:
    return encode_segment(segment) if segment else EMPTY_SEGMENT_DIR


def check_local_key(
    key: str,
    *,
    argument: str = "key",
    bucket: str | None = None,
    portable: bool = False,
    marker: bool = False,
) -> str:
    """The checks ``check_key`` makes, plus what a folder refuses.

    Refused: a leading ``/`` (absolute path), a ``..`` segment, a backslash, and any
    control character (U+0000-U+001F, U+007F). With ``portable`` (the store passes
    ``BUCKET_PORTABLE_KEYS``, on by default), then ``check_portable_key`` too: the keys
    another store folds (``a//b``, ``a/``, ``a/./b``, a segment over 255 bytes); with
    ``marker`` (deletes), a folder marker passes that rule.

    Raises:
        InvalidArgument: the message names the key and the rule it breaks.
    """
    check_key(key, argument=argument, bucket=bucket)

    def bad(rule: str) -> InvalidArgument:
        return InvalidArgument(
            f"{named(argument)} {key!r} {rule} (the local store refuses it)",
            code="InvalidKey",
            bucket=bucket,
            key=key,
        )

    if key.startswith("/"):
        raise bad("is an absolute path")
    if "\\" in key:
        raise bad("contains a backslash")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise bad("contains a control character")
    if ".." in key.split("/"):
        raise bad("has a '..' segment")
    if not portable:
        return key
    return check_portable_key(key, argument=argument, bucket=bucket, marker=marker)


# ------------------------------------------------------------------- the store
class LocalStore:
    """The ``ObjectStore`` protocol on a local folder, with S3's semantics (layout: see
    the module docstring). Nothing touches the disk until the first call
    (``create_bucket`` creates the root folder if it is missing).

    Args:
        config: settings; the store uses ``local_root``, ``prefix`` and
            ``portable_keys``. Default: ``BucketConfig.from_env()``.

    Thread-safety: an instance may be shared by threads, and a root by processes (every
    write is a rename); bucket creation and deletion are serialised within the instance.
    """

    options_supported: ClassVar[Mapping[str, frozenset[str]]] = {
        "put_object": frozenset({"if_none_match"}),
    }
    """The options each operation takes beyond ``ObjectStore`` (``DeclaresOptions``): only
    the write-once put (``WriteOptions(mode="create")``); encryption, storage classes,
    tags, versions, locks and multipart settings are S3's."""

    def __init__(self, config: BucketConfig | None = None) -> None:
        self.config = config if config is not None else BucketConfig.from_env()
        self._root = Path(self.config.local_root).expanduser().absolute()
        self._prefix = self.config.key_prefix  # the prefix is a folder: "a" stores "a/k"
        self._lock = threading.RLock()

    @property
    def root(self) -> Path:
        """The folder holding the buckets (absolute)."""
        return self._root

    @property
    def location(self) -> StoreLocation:
        """The root folder (symlinks resolved) and key prefix of this store."""
        return StoreLocation("local", str(self._root.resolve()), self._prefix)

    @property
    def lists_in_byte_order(self) -> bool:
        """Always True: ``list_objects`` sorts each folder's keys in UTF-8 byte order."""
        return True

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (no connection); kept for the protocol. Idempotent."""

    def ping(self) -> float:
        """Check that the root folder exists (creating it) and is writable.

        Returns:
            The seconds taken to create, fsync and remove a probe file.

        Raises:
            PermissionDenied: the root cannot be created or written, or is a symbolic
                link (code ``SymlinkRefused``).
            ConnectionFailed: any other reason the root is unusable (not a folder,
                read-only file system, disk full...).
        """
        started = time.perf_counter()
        probe = self._root / f".ping-{uuid.uuid4().hex}.tmp"
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            os.close(self._open_root("ping"))
            fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            try:
                os.write(fd, b"ping")
                os.fsync(fd)
            finally:
                os.close(fd)
            os.unlink(probe)
        except StorageError:
            raise
        except PermissionError as exc:
            raise PermissionDenied(
                f"ping failed: the local root {str(self._root)!r} is not writable ({exc.strerror})"
            ) from exc
        except OSError as exc:
            raise ConnectionFailed(
                f"ping failed: the local root {str(self._root)!r} is not usable ({exc.strerror or exc})",
                code="LocalRootUnusable",
            ) from exc
        return time.perf_counter() - started

    # ------------------------------------------------------------------ paths
    def _full_key(
        self, key: str, bucket: str, argument: str = "key", *, deleting: bool = False
    ) -> str:
        portable = self.config.portable_keys
        check_local_key(key, argument=argument, bucket=bucket, portable=portable, marker=deleting)
        full = self._prefix + key
        if self._prefix:
            check_local_key(full, argument=argument, bucket=bucket)
        return full

    def _bucket_path(self, bucket: str) -> Path:
        return self._root / check_bucket_name(bucket)

    def _open_root(self, operation: str) -> int:
        """The root folder's descriptor (the caller closes it); links above the root are
        followed, the root may not be one (``PermissionDenied``, else the ``OSError``)."""
        return _open_at(str(self._root), _DIR_FLAGS, None, lambda: self._root, operation)

    def _open_bucket(self, bucket: str, operation: str, *, root_fd: int | None = None) -> int:
        """The descriptor of the bucket folder (name checked by the caller), opened in
        ``root_fd`` (default: a fresh root's) without following a link; the caller closes it.

        Raises:
            BucketNotFound: no such folder (or a file of that name).
            PermissionDenied: the root or the bucket folder is a symbolic link, or unreadable.
        """
        with self._translating(operation, bucket, missing=BucketNotFound):
            parent = self._open_root(operation) if root_fd is None else root_fd
            try:
                where = functools.partial(self._root.joinpath, bucket)
                return _open_at(bucket, _DIR_FLAGS, parent, where, operation, bucket)
            finally:
                if root_fd is None:
                    os.close(parent)

    def _descend(
        self,
        bucket_fd: int,
        dirs: Sequence[str],
        *,
        operation: str,
        bucket: str,
        key: str | None = None,
        create: bool = False,
    ) -> list[int]:
        """Open the folders ``dirs`` below the bucket one at a time, each relative to its
        parent without following a link (``openat`` + ``O_NOFOLLOW``: unlike an ``lstat``
        before use, race-free against a folder swapped for a link); with ``create``, a
        missing folder is made first.

        Returns:
            ``[bucket_fd, fd of dirs[0], ...]``; the caller closes all but ``bucket_fd``.

        Raises:
            PermissionDenied: a folder is a symbolic link (code ``SymlinkRefused``).
            OSError: a folder is missing (``create`` False) or a file is in the way.
        """
        chain = [bucket_fd]
        try:
            for depth, part in enumerate(dirs, 1):
                where = functools.partial(self._root.joinpath, bucket, *dirs[:depth])
                try:
                    fd = _open_at(part, _DIR_FLAGS, chain[-1], where, operation, bucket, key)
                except FileNotFoundError:
                    if not create:
                        raise
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, dir_fd=chain[-1])
                    fd = _open_at(part, _DIR_FLAGS, chain[-1], where, operation, bucket, key)
                chain.append(fd)
        except BaseException:
            _close(chain[1:])
            raise
        return chain

    def _relative_path(self, full_key: str, *, bucket: str, key: str) -> tuple[list[str], str]:
        """Folder names and file name of ``full_key`` inside its bucket."""
        segments = full_key.split("/")
        dirs = [_dir_name(s) for s in segments[:-1]]
        name = encode_segment(segments[-1]) + OBJECT_SUFFIX
        for part in [*dirs, name]:
            if len(part.encode()) > NAME_MAX:
                raise InvalidArgument(
                    f"{named('key')} {key!r} has a segment of {len(part.encode())} bytes once encoded "
                    f"for the local store; the file-system limit is {NAME_MAX}",
                    code="KeyTooLongError",
                    bucket=bucket,
                    key=key,
                )
        return dirs, name

    def object_path(self, bucket: str, key: str) -> Path:
        """Where the object ``key`` of ``bucket`` lives (or would live) on disk.

        Raises:
            InvalidArgument: bad bucket name or key (nothing is touched on disk).
        """
        full = self._full_key(key, bucket)
        dirs, name = self._relative_path(full, bucket=bucket, key=key)
        return self._bucket_path(bucket).joinpath(*dirs, name)

    @contextlib.contextmanager
    def _translating(
        self,
        operation: str,
        bucket: str | None,
        key: str | None = None,
        *,
        missing: type[NotFound] | None = None,
    ) -> Iterator[None]:
        """Raise an ``OSError`` of the block as a ``StorageError`` (``_os_error``), a missing
        file or folder as ``missing`` (``BucketNotFound``, ``ObjectNotFound``) when given."""
        try:
            yield
        except StorageError:
            raise
        except OSError as exc:
            if missing is not None and isinstance(exc, (FileNotFoundError, NotADirectoryError)):
                what = "bucket" if missing is BucketNotFound else "object"
                raise missing(
                    f"{operation} failed: the {what} does not exist",
                    bucket=bucket,
                    key=key,
                    status=404,
                ) from None
            raise self._os_error(exc, operation, bucket, key) from exc

    @staticmethod
    def _os_error(
        exc: OSError, operation: str, bucket: str | None, key: str | None = None
    ) -> StorageError:
        if isinstance(exc, PermissionError):
            return PermissionDenied(f"{operation} failed: {exc.strerror}", bucket=bucket, key=key)
        name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        kind, reason, code = _ERRNO_ERRORS.get(exc.errno, (StorageError, exc.strerror or exc, name))
        return kind(f"{operation} failed: {reason}", code=code, bucket=bucket, key=key)

    # --------------------------------------------------------------- buckets
    def list_buckets(self) -> list[BucketInfo]:
        """Every bucket (every folder of the root with a valid bucket name), by name.

        A folder that is a symbolic link is not a bucket: it is skipped with a warning.

        Raises:
            PermissionDenied: the root cannot be read, or is a symbolic link.
        """
        with self._translating("list_buckets", None):
            try:
                root_fd = self._open_root("list_buckets")
            except FileNotFoundError:
                return []  # no root yet: no buckets
            try:
                with os.scandir(root_fd) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            finally:
                os.close(root_fd)
        out: list[BucketInfo] = []
        for entry in entries:
            if entry.is_symlink():
                log.warning("list_buckets: skipping %s, a symbolic link", self._root / entry.name)
                continue
            if not entry.is_dir(follow_symlinks=False):
                continue
            try:
                check_bucket_name(entry.name)
            except InvalidArgument:
                continue
            out.append(BucketInfo(name=entry.name, created=self._created(self._root / entry.name)))
        return out

    @staticmethod
    def _created(path: Path) -> datetime | None:
        try:
            with os.fdopen(os.open(path / BUCKET_FILE, _FILE_FLAGS), "rb") as handle:
                raw = json.loads(handle.read(MAX_HEADER_BYTES))
            return datetime.fromtimestamp(float(raw["created"]), tz=UTC)
        except (OSError, ValueError, KeyError, TypeError, OverflowError):
            try:
                return datetime.fromtimestamp(path.lstat().st_mtime, tz=UTC)
            except OSError:
                return None

    def create_bucket(self, bucket: str, *, exist_ok: bool = True) -> None:
        """Create the bucket's folder (and the root folder if it is missing).

        Args:
            exist_ok: default True: creating a bucket that exists succeeds, as S3Store
                does for a bucket you own.

        Raises:
            InvalidArgument: the name breaks an S3 naming rule (nothing is created).
            AlreadyExists: the bucket exists and ``exist_ok`` is False
                (code ``BucketAlreadyOwnedByYou``).
            PermissionDenied: the root is not writable, or the bucket's name in the root is
                a symbolic link (code ``SymlinkRefused``).
        """
        path = self._bucket_path(bucket)
        with self._lock, self._translating("create_bucket", bucket):
            try:
                self._root.mkdir(parents=True, exist_ok=True)
                path.mkdir()
            except FileExistsError:
                if path.is_symlink():
                    raise _link_refused("create_bucket", path, bucket) from None
                if not path.is_dir():
                    raise AlreadyExists(
                        "create_bucket failed: a file of that name is in the local root",
                        bucket=bucket,
                        status=409,
                    ) from None
                if not exist_ok:
                    raise AlreadyExists(
                        "create_bucket failed: the bucket already exists",
                        code="BucketAlreadyOwnedByYou",
                        bucket=bucket,
                        status=409,
                    ) from None
                return
            write_atomically(path / BUCKET_FILE, [json.dumps({"created": time.time()}).encode()])
        log.debug("created local bucket %s", bucket)

    def bucket_exists(self, bucket: str) -> bool:
        """True if the bucket's folder exists (a symbolic link to a folder is not one).

        Raises:
            InvalidArgument: bad bucket name.
        """
        try:
            return stat.S_ISDIR(os.lstat(self._bucket_path(bucket)).st_mode)
        except OSError:
            return False

    def delete_bucket(self, bucket: str, *, force: bool = False) -> BucketDeletion:
        """Delete the bucket's folder: renamed to a hidden name in the root (the bucket is
        gone at once), then removed (``shutil.rmtree``, which follows no link).

        A store with a key prefix (``BUCKET_PREFIX``) shares the bucket with the other
        prefixes and keeps the folder (``bucket_deleted`` False): with ``force`` it
        deletes the objects under its prefix (damaged files and links included), planned
        by ``planner.plan_deletes`` (every key checked before the first delete).

        Args:
            force: default False; True deletes every object first (under the prefix
                only, for a store with one).

        Returns:
            ``BucketDeletion``: whether the bucket was deleted, and the objects deleted.

        Raises:
            BucketNotEmpty: the bucket (the prefix, for a store with one) holds objects
                and ``force`` is False.
            BucketNotFound: no such bucket.
            PermissionDenied: the root or bucket folder is a symbolic link (code
                ``SymlinkRefused``) or was swapped during the call (nothing removed);
                with a prefix, a folder under it could not be read (kept, the rest deleted).
            StorageError: with a prefix, an object could not be deleted (the others were).
        """
        check_bucket_name(bucket)
        if self._prefix:
            return self._empty_prefix(bucket, force=force)
        with self._lock:
            with self._translating("delete_bucket", bucket, missing=BucketNotFound):
                root_fd = self._open_root("delete_bucket")  # a file there: no bucket either
            try:
                count = self._delete_bucket_in(root_fd, bucket, force=force)
            finally:
                os.close(root_fd)
        log.debug("deleted local bucket %s", bucket)
        return BucketDeletion(bucket, "", bucket_deleted=True, objects_deleted=count)

    def _delete_bucket_in(self, root_fd: int, bucket: str, *, force: bool) -> int:
        """Remove the bucket folder; returns the objects it held (counted first)."""
        bucket_fd = self._open_bucket(bucket, "delete_bucket", root_fd=root_fd)
        try:
            count = self._count_objects(bucket_fd, bucket, first_only=not force)
            if count and not force:
                raise BucketNotEmpty(
                    "delete_bucket failed: the bucket is not empty (use force=True)",
                    bucket=bucket,
                    status=409,
                )
            opened = os.fstat(bucket_fd)
        finally:
            os.close(bucket_fd)
        trash = f".deleted-{bucket}-{uuid.uuid4().hex}"
        with self._translating("delete_bucket", bucket, missing=BucketNotFound):
            os.rename(bucket, trash, src_dir_fd=root_fd, dst_dir_fd=root_fd)
            moved = os.lstat(trash, dir_fd=root_fd)
        if (moved.st_dev, moved.st_ino) != (opened.st_dev, opened.st_ino):
            # swapped (for a link?) between the check and the rename: put it back
            os.rename(trash, bucket, src_dir_fd=root_fd, dst_dir_fd=root_fd)
            raise PermissionDenied(
                "delete_bucket failed: the bucket folder was replaced during the call",
                code="SymlinkRefused",
                bucket=bucket,
            )
        shutil.rmtree(trash, ignore_errors=True, dir_fd=root_fd)
        return count

    def _count_objects(self, bucket_fd: int, bucket: str, *, first_only: bool) -> int:
        """The object files of the bucket (links and unreadable folders not counted);
        stops at 1 with ``first_only``."""
        with contextlib.closing(
            self._walk(bucket_fd, self._root / bucket, "", "", None, collapse=False)
        ) as walk:
            files = (found for _, found in walk if isinstance(found, _Found))
            return sum(1 for _ in itertools.islice(files, 1 if first_only else None))

    def _empty_prefix(self, bucket: str, *, force: bool) -> BucketDeletion:
        """``delete_bucket`` of a store with a key prefix (see there); ``OutOfScope`` for a
        listed key outside the prefix (nothing deleted)."""
        found = list(self.list_objects_audited(bucket))
        if found and not force:
            raise BucketNotEmpty(
                f"delete_bucket failed: {self._prefix} holds objects (use force=True to "
                "delete them; the bucket is shared with other prefixes and is kept)",
                bucket=bucket,
                status=409,
            )
        folders = [e for e in found if isinstance(e, Unreadable) and e.is_folder]
        plan = plan_deletes(
            Scope(bucket, self._prefix),
            (
                self._prefix + e.key
                for e in found
                if not isinstance(e, Unreadable) or not e.is_folder
            ),
            operation="delete_bucket",
        )
        deleted = self._unlink_planned(bucket, plan.keys)
        if folders:
            raise PermissionDenied(
                f"delete_bucket: {deleted} object(s) under {self._prefix} deleted, but "
                f"{self._prefix}{folders[0].key} could not be read ({folders[0].reason}) and "
                "was kept; the bucket is kept",
                bucket=bucket,
                key=folders[0].key,
            )
        log.debug(
            "emptied %s of local bucket %s (%d objects); bucket kept", self._prefix, bucket, deleted
        )
        return BucketDeletion(bucket, self._prefix, bucket_deleted=False, objects_deleted=deleted)

    def _unlink_planned(self, bucket: str, full_keys: Sequence[str]) -> int:
        """Delete the object files of ``full_keys`` (checked by the planner); returns how
        many, or raises a ``StorageError`` for the first failure once every key was tried."""
        failures: list[StorageError] = []
        bucket_fd = self._open_bucket(bucket, "delete_bucket")
        try:
            for full in full_keys:
                try:
                    self._unlink(bucket_fd, full, bucket, full.removeprefix(self._prefix))
                except StorageError as exc:
                    failures.append(exc)
        finally:
            os.close(bucket_fd)
        if failures:
            first = failures[0]
            raise StorageError(
                f"delete_bucket failed: {len(failures)} of {len(full_keys)} object(s) under "
                f"{self._prefix} not deleted ({first.message}); the bucket is kept",
                code=first.code,
                bucket=bucket,
                key=first.key,
            )
        return len(full_keys)

    # --------------------------------------------------------------- writing
    def put_object(
        self,
        bucket: str,
        key: str,
        data: Data,
        *,
        options: WriteOptions | None = None,
        progress: ProgressCallback | None = None,
        transfer: TransferSettings | None = None,
    ) -> UploadResult:
        """Store ``data`` under ``key``, atomically (the old object or the new one).

        Args:
            data: bytes-like, text (UTF-8 encoded) or a binary stream (read to its end).
            options: default ``WriteOptions()``: content type (default: guessed from the
                key's extension), user metadata (at most 2 KiB) and ``mode="create"``
                (write-once, as on S3: the file is linked into place only if no object
                exists, atomic across processes); S3's other options are ``NotSupported``.
            progress: ``progress(bytes_done, bytes_total)``; total is None for a stream
                whose size cannot be known.
            transfer: default None; any is ``NotSupported`` (a folder has no parts).

        Raises:
            InvalidArgument: bad bucket name, key or data type.
            NotSupported: an option or transfer setting this store does not declare.
            AlreadyExists: ``mode="create"`` and the key exists.
            BucketNotFound: no such bucket.
        """
        check_write(self, "put_object", options, transfer)
        options = options if options is not None else NO_OPTIONS
        check_bucket_name(bucket)
        full = self._full_key(key, bucket)
        if isinstance(data, str):
            data = data.encode("utf-8")
        chunks: Iterable[bytes]
        if isinstance(data, (bytes, bytearray, memoryview)):
            body = bytes(data)
            total: int | None = len(body)
            chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
        elif hasattr(data, "read"):
            total = remaining_size(data)
            chunks = _read_chunks(data)
        else:
            raise InvalidArgument(
                f"data must be bytes, str or a binary stream, not {type(data).__name__}",
                bucket=bucket,
                key=key,
            )
        return self._write(
            "put_object",
            bucket,
            key,
            full,
            chunks,
            content_type=options.content_type,
            metadata=options.metadata,
            progress=progress,
            total=total,
            write_once=options.write_once,
        )

    def upload_file(
        self,
        bucket: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        options: WriteOptions | None = None,
        progress: ProgressCallback | None = None,
        transfer: TransferSettings | None = None,
    ) -> UploadResult:
        """Store the file at ``path`` under ``key`` (copied, atomically).

        Args:
            options: content type (default: guessed from the key's extension, not the
                path's) and user metadata (at most 2 KiB); any other option, the
                write-once mode included, is refused (``NotSupported``).
            progress: ``progress(bytes_done, bytes_total)``.
            transfer: refused when given, as for ``put_object``.

        Raises:
            InvalidArgument: ``path`` is missing, unreadable or not a regular file; bad
                bucket name or key.
            NotSupported: an option or transfer setting this store does not declare.
            BucketNotFound: no such bucket.
        """
        check_write(self, "upload_file", options, transfer)
        options = options if options is not None else NO_OPTIONS
        check_bucket_name(bucket)
        full = self._full_key(key, bucket)
        with readable_file(path).open("rb") as handle:
            total = os.fstat(handle.fileno()).st_size
            return self._write(
                "upload_file",
                bucket,
                key,
                full,
                _read_chunks(handle),
                content_type=options.content_type,
                metadata=options.metadata,
                progress=progress,
                total=total,
            )

    def _write(
        self,
        operation: str,
        bucket: str,
        key: str,
        full: str,
        chunks: Iterable[bytes],
        *,
        content_type: str | None,
        metadata: Mapping[str, str],
        progress: ProgressCallback | None = None,
        total: int | None = None,
        write_once: bool = False,
    ) -> UploadResult:
        """Write one object file (atomically, as the module docstring says); without
        ``content_type``, the one the key's extension suggests. With ``write_once`` the
        temp file is hard-linked to its name instead (``link`` fails when the name exists,
        so exactly one writer wins)."""
        dirs, name = self._relative_path(full, bucket=bucket, key=key)
        folder_fd, fd, temp = self._open_temp(dirs, bucket=bucket, key=key, operation=operation)
        with self._translating(operation, bucket, key):
            try:
                md5 = hashlib.md5(usedforsecurity=False)
                size = 0
                with os.fdopen(fd, "wb") as out:
                    if progress:
                        progress(0, total)
                    for chunk in chunks:
                        if chunk:
                            out.write(chunk)
                            md5.update(chunk)
                            size += len(chunk)
                            if progress:
                                progress(size, total)
                    etag = md5.hexdigest()
                    header = {
                        "v": 1,
                        "key": full,
                        "size": size,
                        "etag": etag,
                        "content_type": content_type or guess_content_type(key),
                        "metadata": dict(metadata),
                        "last_modified": time.time(),
                    }
                    out.write(_trailer(header))
                    out.flush()
                    os.fsync(out.fileno())
                if write_once:
                    try:
                        os.link(
                            temp,
                            name,
                            src_dir_fd=folder_fd,
                            dst_dir_fd=folder_fd,
                            follow_symlinks=False,
                        )
                    except FileExistsError:
                        raise AlreadyExists(
                            f"{operation} failed: the key exists (write-once put)",
                            code="PreconditionFailed",
                            bucket=bucket,
                            key=key,
                            status=412,
                        ) from None
                    os.unlink(temp, dir_fd=folder_fd)
                else:
                    os.replace(temp, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
                fsync_fd(folder_fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp, dir_fd=folder_fd)
                raise
            finally:
                os.close(folder_fd)
        if progress and total is None:
            progress(size, size)
        return UploadResult(bucket=bucket, key=key, size=size, etag=etag)

    def _open_temp(
        self, dirs: Sequence[str], *, bucket: str, key: str, operation: str
    ) -> tuple[int, int, str]:
        """Create the object's folders and a temporary file in the last one, starting again
        when a concurrent delete prunes a folder between the two steps.

        Returns:
            ``(folder fd, temporary file fd, temporary file name)``; the caller closes both.

        Raises:
            BucketNotFound: no such bucket.
            PermissionDenied: a folder on the way is a symbolic link.
            StorageError: a file is in the way of a folder (code ``LocalLayoutConflict``).
        """
        with self._translating(operation, bucket, key):
            for _attempt in range(10):
                chain = [self._open_bucket(bucket, operation)]
                temp = f".{uuid.uuid4().hex}.tmp"
                try:
                    chain = self._descend(
                        chain[0], dirs, operation=operation, bucket=bucket, key=key, create=True
                    )
                    fd = os.open(temp, _TEMP_FLAGS, 0o666, dir_fd=chain[-1])
                except BaseException as exc:
                    _close(chain)
                    if isinstance(exc, FileNotFoundError):
                        continue  # pruned by a concurrent delete: start again from the bucket
                    if isinstance(exc, (FileExistsError, NotADirectoryError)):
                        raise StorageError(
                            f"{operation} failed: a file is in the way of the folders of the "
                            f"key ({exc.strerror})",
                            code="LocalLayoutConflict",
                            bucket=bucket,
                            key=key,
                        ) from exc
                    raise
                _close(chain[:-1])
                return chain[-1], fd, temp
        raise StorageError(
            f"{operation} failed: the object's folder keeps disappearing",
            code="LocalLayoutConflict",
            bucket=bucket,
        )

    # --------------------------------------------------------------- reading
    def _open(self, bucket: str, key: str, operation: str) -> tuple[IO[bytes], _Properties]:
        """Open the object's file and read its properties; the caller closes the file."""
        check_bucket_name(bucket)
        full = self._full_key(key, bucket)
        dirs, name = self._relative_path(full, bucket=bucket, key=key)
        bucket_fd = self._open_bucket(bucket, operation)
        where = functools.partial(self.object_path, bucket, key)
        try:
            with self._translating(operation, bucket, key, missing=ObjectNotFound):
                chain = self._descend(bucket_fd, dirs, operation=operation, bucket=bucket, key=key)
                try:
                    fd = _open_at(name, _FILE_FLAGS, chain[-1], where, operation, bucket, key)
                finally:
                    _close(chain[1:])
        finally:
            os.close(bucket_fd)
        handle = os.fdopen(fd, "rb")
        try:
            return handle, _read_trailer(handle)
        except BaseException as exc:
            handle.close()
            if isinstance(exc, IntegrityError):
                raise IntegrityError(
                    f"{operation} failed: {exc.message} ({where()})", bucket=bucket, key=key
                ) from exc
            raise

    def get_object(
        self, bucket: str, key: str, *, start: int | None = None, end: int | None = None
    ) -> bytes:
        """The object's bytes, or the inclusive byte range ``start..end`` of them.

        Args:
            start: default None: from the first byte.
            end: default None: to the last byte; an end past the last byte is clamped.

        Raises:
            ObjectNotFound, BucketNotFound: nothing there.
            InvalidArgument: a negative or reversed range, or a start at or past the end
                (code ``InvalidRange``, as S3 answers 416).
            IntegrityError: the file's trailer is damaged.
        """
        check_range(start, end)
        handle, header = self._open(bucket, key, "get_object")
        with handle:
            size = header["size"]
            if start is None and end is None:
                return _read_exact(handle, size)
            first = start or 0
            if first >= size:
                raise InvalidArgument(
                    f"get_object failed: the range starts at {first} but the object has {size} bytes",
                    code="InvalidRange",
                    bucket=bucket,
                    key=key,
                    status=416,
                )
            last = size - 1 if end is None else min(end, size - 1)
            handle.seek(first)
            return _read_exact(handle, last - first + 1)

    def open_object(self, bucket: str, key: str) -> IO[bytes]:
        """A readable, seekable binary stream of the object's bytes; the caller closes it.
        It keeps reading the version it opened if the object is overwritten or deleted.

        Raises:
            ObjectNotFound, BucketNotFound: nothing there.
        """
        handle, header = self._open(bucket, key, "open_object")
        return io.BufferedReader(_Slice(handle, header["size"]), CHUNK)

    def download_file(
        self,
        bucket: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Copy the object to ``path``; the file appears whole or not at all, keeping the
        permission bits of a file it replaces (else ``0o666`` less the umask).

        Returns:
            The number of bytes written.

        Raises:
            InvalidArgument: ``path`` is a folder, its file name is over 255 bytes (code
                ``NameTooLong``), or its folder is missing or not writable.
            ObjectNotFound, BucketNotFound: nothing to download.
            IntegrityError: the object's file is damaged (``path`` is left as it was).
        """
        target = writable_target(path)
        handle, header = self._open(bucket, key, "download_file")
        size = header["size"]
        with handle:
            if progress:
                progress(0, size)

            def chunks() -> Iterator[bytes]:
                done = 0
                while done < size:
                    chunk = handle.read(min(CHUNK, size - done))
                    if not chunk:
                        raise IntegrityError(
                            "download_file failed: the object file is truncated",
                            bucket=bucket,
                            key=key,
                        )
                    done += len(chunk)
                    yield chunk
                    if progress:
                        progress(done, size)

            with self._translating("download_file", bucket, key):
                write_atomically(target, chunks())
        return size

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        """The object's size, ETag, last-modified time, content type and user metadata.

        Raises:
            ObjectNotFound, BucketNotFound: nothing there.
        """
        handle, header = self._open(bucket, key, "head_object")
        handle.close()
        return _info(bucket, key, header, full=True)

    def object_exists(self, bucket: str, key: str) -> bool:
        """True if ``key`` exists; False if it or its bucket does not.

        Raises:
            InvalidArgument: bad bucket name or key.
        """
        try:
            self.head_object(bucket, key)
        except NotFound:
            return False
        return True

    # -------------------------------------------------------------- deleting
    def delete_object(self, bucket: str, key: str) -> None:
        """Delete ``key`` and the folders it leaves empty; a missing key is not an error.

        Raises:
            BucketNotFound: no such bucket.
            InvalidArgument: bad bucket name or key.
        """
        check_bucket_name(bucket)
        full = self._full_key(key, bucket, deleting=True)
        bucket_fd = self._open_bucket(bucket, "delete_object")
        try:
            self._unlink(bucket_fd, full, bucket, key)
        finally:
            os.close(bucket_fd)

    def _unlink(self, bucket_fd: int, full: str, bucket: str, key: str) -> None:
        """Remove the object's file, then the folders it leaves empty (bottom up)."""
        dirs, name = self._relative_path(full, bucket=bucket, key=key)
        try:  # not _translating: a context manager costs ~3 us on every delete (measured)
            chain = self._descend(
                bucket_fd, dirs, operation="delete_object", bucket=bucket, key=key
            )
            try:
                os.unlink(name, dir_fd=chain[-1])
                fsync_fd(chain[-1])
                for index in reversed(range(len(dirs))):
                    try:
                        os.rmdir(dirs[index], dir_fd=chain[index])
                    except OSError:
                        break
            finally:
                _close(chain[1:])
        except StorageError:
            raise
        except (FileNotFoundError, NotADirectoryError):
            return  # nothing to delete
        except OSError as exc:
            raise self._os_error(exc, "delete_object", bucket, key) from exc

    def delete_objects(self, bucket: str, keys: Iterable[str]) -> DeleteResult:
        """Delete many keys, reading ``keys`` lazily; missing keys count as deleted.

        Returns:
            ``DeleteResult`` with the keys deleted and, for the others, why not.

        Raises:
            InvalidArgument: a key is invalid (checked before its batch of 1000 is deleted).
            BucketNotFound: no such bucket.
        """
        check_bucket_name(bucket)
        deleted: list[str] = []
        errors: list[DeleteError] = []
        iterator = iter(keys)
        bucket_fd = self._open_bucket(bucket, "delete_objects")
        try:
            while chunk := [
                (k, self._full_key(k, bucket, "keys", deleting=True))
                for k in itertools.islice(iterator, 1000)
            ]:
                for key, full in chunk:
                    try:
                        self._unlink(bucket_fd, full, bucket, key)
                    except StorageError as exc:
                        errors.append(DeleteError(key=key, code=exc.code, message=exc.message))
                    else:
                        deleted.append(key)
        finally:
            os.close(bucket_fd)
        return DeleteResult(deleted=tuple(deleted), errors=tuple(errors))

    # --------------------------------------------------------------- listing
    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int | None = None,
        start_after: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[ListEntry]:
        """Yield ``ObjectInfo`` (and ``PrefixInfo`` with a delimiter) in UTF-8 byte order.

        Walks the folders lazily, one sorted folder at a time (memory: one folder's
        entries per level); with the delimiter ``/``, not below the prefix's level.

        Args:
            prefix: default "": only keys starting with it.
            delimiter: default None; keys containing it after the prefix are rolled up
                into one ``PrefixInfo`` (the key up to and including the delimiter).
            max_keys: default None (all); caps the entries (objects and prefixes) yielded.
            start_after: default None; only keys after it (byte order). A common
                prefix is yielded only if it sorts after it too, as S3 servers do.
            page_size: default 1000; checked (1..1000) like S3Store's, else unused.

        Raises:
            BucketNotFound: no such bucket (raised on the first ``next()``).
            InvalidArgument: ``page_size`` outside 1..1000 or ``max_keys`` < 0.
        """
        check_bucket_name(bucket)
        check_listing(
            prefix=prefix, page_size=page_size, max_keys=max_keys, start_after=start_after
        )
        listing = self._entries(bucket, prefix, delimiter or None, max_keys, start_after or None)
        return (entry for entry in listing if not isinstance(entry, Unreadable))

    def list_objects_audited(
        self, bucket: str, *, prefix: str = ""
    ) -> Iterator[ObjectInfo | Unreadable]:
        """``list_objects`` (no delimiter), plus an ``Unreadable`` for each thing it skips
        with a warning (``ReportsUnreadable``): a damaged object file (``damaged: ...``),
        a symbolic link, an object file or folder the process may not open (``permission
        denied``). A folder is reported once, as its key ending in ``/``, for every key
        below it; a linked folder of ``prefix`` stands for the whole listing (``""`` when
        it holds the store's prefix).

        Raises:
            BucketNotFound: no such bucket (raised on the first ``next()``).
            PermissionDenied: the bucket folder, or a folder of ``prefix``, may not be
                opened (a link there is reported, not raised).
            InvalidArgument: ``prefix`` is not a string.
        """
        check_bucket_name(bucket)
        check_listing(prefix=prefix)
        listing = self._entries(bucket, prefix, None, None, None, audited=True)
        return (entry for entry in listing if not isinstance(entry, PrefixInfo))

    def _entries(
        self,
        bucket: str,
        prefix: str,
        delimiter: str | None,
        max_keys: int | None,
        start_after: str | None,
        *,
        audited: bool = False,
    ) -> Iterator[ListEntry | Unreadable]:
        """The walk of ``list_objects``, with an ``Unreadable`` (not counted in
        ``max_keys``) for each thing it skips; ``audited`` reports an object file the
        process may not open as one, where ``list_objects`` raises."""
        full_prefix = self._prefix + prefix
        after = self._prefix + start_after if start_after else None
        cut = full_prefix.rfind("/") + 1
        path_key, partial = full_prefix[:cut], full_prefix[cut:]  # up to the last '/', after it
        dirs = [_dir_name(segment) for segment in path_key.split("/")[:-1]]
        chain, refused = self._open_listing(bucket, dirs)
        try:
            if refused is not None:  # a folder at or above the listing's is a link
                yield self._unreadable(bucket, path_key, refused)
            if max_keys == 0 or len(chain) <= len(dirs):
                return
            collapse = delimiter == "/"
            folder = self._root.joinpath(bucket, *dirs)
            walk = self._walk(chain[-1], folder, path_key, partial, after, collapse=collapse)
            count = 0
            last_prefix: str | None = None
            for full, found in walk:
                entry: ListEntry | Unreadable | None
                rest = full[len(full_prefix) :]
                if isinstance(found, str):
                    entry = self._unreadable(bucket, full, found)
                elif found is None:
                    entry = PrefixInfo(bucket=bucket, prefix=full.removeprefix(self._prefix))
                elif delimiter and not collapse and delimiter in rest:
                    common = full_prefix + rest[: rest.index(delimiter) + len(delimiter)]
                    if common == last_prefix or (after is not None and common <= after):
                        continue
                    last_prefix = common
                    entry = PrefixInfo(bucket=bucket, prefix=common.removeprefix(self._prefix))
                else:
                    entry = self._list_info(bucket, full, found, audited=audited)
                if isinstance(entry, Unreadable):
                    yield entry
                elif entry is not None:
                    yield entry
                    count += 1
                    if max_keys is not None and count >= max_keys:
                        return
        finally:
            _close(chain)

    def _open_listing(self, bucket: str, dirs: Sequence[str]) -> tuple[list[int], str | None]:
        """``[bucket fd, fds of dirs...]`` for a listing (the caller closes them), shorter
        when a folder of the prefix is missing or a link, and why the walk stopped at a
        link (None: it did not). Raises as ``_open_bucket``."""
        bucket_fd = self._open_bucket(bucket, "list_objects")
        try:
            return self._descend(bucket_fd, dirs, operation="list_objects", bucket=bucket), None
        except (FileNotFoundError, NotADirectoryError):
            return [bucket_fd], None
        except PermissionDenied as exc:
            log.warning("list_objects: nothing listed below %s", exc.message)
            return [bucket_fd], "a symbolic link"
        except OSError as exc:
            os.close(bucket_fd)
            raise self._os_error(exc, "list_objects", bucket) from exc

    def _unreadable(self, bucket: str, full: str, reason: str) -> Unreadable:
        """``full`` (a key, or a folder ending in ``/``) met but not read, under the
        caller's key: a folder holding the store's prefix stands for all of it (``""``)."""
        holds_prefix = full.endswith("/") and self._prefix.startswith(full)
        key = "" if holds_prefix else full.removeprefix(self._prefix)
        return Unreadable(bucket=bucket, key=key, reason=reason)

    def _list_info(
        self, bucket: str, full: str, found: _Found, *, audited: bool = False
    ) -> ObjectInfo | Unreadable | None:
        """The listed properties of one object file; an ``Unreadable`` (with a warning)
        for a damaged file or a link, and with ``audited`` for one the process may not
        open (else ``PermissionDenied``); None for a file deleted while listing."""
        key = full.removeprefix(self._prefix)
        try:
            fd = os.open(found.name, _FILE_FLAGS, dir_fd=found.dir_fd)
            with os.fdopen(fd, "rb") as handle:
                header = _read_trailer(handle)
        except (FileNotFoundError, NotADirectoryError):
            return None  # deleted while listing
        except IntegrityError as exc:
            log.warning(
                "list_objects: skipping the damaged object %r of bucket %s (%s: %s)",
                key,
                bucket,
                found.folder / found.name,
                exc.message,
            )
            return Unreadable(bucket=bucket, key=key, reason=f"damaged: {exc.message}")
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return Unreadable(
                    bucket=bucket, key=key, reason=_skip_link(found.folder / found.name)
                )
            if audited and isinstance(exc, PermissionError):
                return Unreadable(bucket=bucket, key=key, reason="permission denied")
            raise self._os_error(exc, "list_objects", bucket, key) from exc
        return _info(bucket, key, header, full=False)

    def _walk(
        self,
        folder_fd: int,
        folder: Path,
        path_key: str,
        partial: str,
        after: str | None,
        *,
        collapse: bool,
    ) -> Generator[tuple[str, _Found | str | None], None, None]:
        """Yield ``(full_key, file)`` for every object below ``folder`` in key order.

        ``folder_fd`` is the open folder (``folder`` its path, for messages); the
        ``_Found`` yielded is valid until the next step of the walk. ``path_key`` is the
        key prefix ``folder`` stands for; only children whose segment starts with
        ``partial`` are visited. With ``collapse``, a child folder is yielded once as
        ``(prefix, None)`` (if it holds a key after ``after``) instead of being walked.
        Code-point order of ``str`` is UTF-8 byte order. Links are never followed: a
        link, or a folder that cannot be opened, is yielded as ``(key, why)`` (a folder's
        key ends with ``/``) and not walked.
        """
        for sort_key, is_dir, name, skipped in self._children(folder_fd, folder, partial):
            key = path_key + sort_key
            if not is_dir:
                if after is None or key > after:
                    yield key, _Found(folder_fd, name, folder) if skipped is None else skipped
                continue
            # every key below this folder starts with ``key``
            if after is not None and key < after and not after.startswith(key):
                continue
            below = after if after is not None and after.startswith(key) else None
            if collapse and below is not None:
                continue  # S3 (and Ceph) yield a common prefix only if it sorts after start_after
            child_fd = _open_listed_folder(name, folder_fd, folder) if skipped is None else skipped
            if not isinstance(child_fd, int):
                if child_fd is not None:
                    yield key, child_fd
                continue
            try:
                inner = self._walk(child_fd, folder / name, key, "", below, collapse=False)
                if not collapse:
                    yield from inner
                    continue
                with contextlib.closing(inner):
                    holds_keys = any(isinstance(found, _Found) for _, found in inner)
                if holds_keys:
                    yield key, None
            finally:
                os.close(child_fd)

    @staticmethod
    def _children(folder_fd: int, folder: Path, partial: str) -> list[_Child]:
        """The folder's objects and key folders whose segment starts with ``partial``,
        sorted; a link (skipped with a warning) or an entry whose type cannot be read
        comes with the reason it is not followed (an object by its ``~`` name, else a
        folder)."""
        children: list[_Child] = []
        try:
            with os.scandir(folder_fd) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                        skipped = _skip_link(folder / name) if entry.is_symlink() else None
                    except FileNotFoundError:
                        continue  # deleted while listing
                    except OSError as exc:
                        skipped = f"could not be read ({exc.strerror or exc})"
                    if skipped is not None:
                        is_dir = not name.endswith(OBJECT_SUFFIX)
                    sort_key = _sort_key(name, is_dir=is_dir)
                    if sort_key is not None and sort_key.startswith(partial):
                        children.append(_Child(sort_key, is_dir, name, skipped))
        except (FileNotFoundError, NotADirectoryError):
            return []
        children.sort(key=lambda child: child.sort_key)
        return children

    # ------------------------------------------------------------ copy, move
    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> UploadResult:
        """Copy an object. Metadata is copied, or replaced when ``metadata`` or
        ``content_type`` is given (the other one is then kept from the source).

        Raises:
            ObjectNotFound, BucketNotFound: no source object, or no destination bucket.
            InvalidArgument: copying an object onto itself without changing anything
                (S3 refuses that too), or bad names, keys or metadata.
        """
        check_bucket_name(src_bucket, argument="src_bucket")
        check_bucket_name(dst_bucket, argument="dst_bucket")
        self._full_key(src_key, src_bucket, "src_key")
        dst_full = self._full_key(dst_key, dst_bucket, "dst_key")
        replace = metadata is not None or content_type is not None
        checked = check_metadata(metadata) if metadata is not None else None
        if (src_bucket, src_key) == (dst_bucket, dst_key) and not replace:
            raise InvalidArgument(
                "copy_object failed: copying an object onto itself needs new metadata or a "
                "new content type",
                code="InvalidRequest",
                bucket=dst_bucket,
                key=dst_key,
                status=400,
            )
        handle, header = self._open(src_bucket, src_key, "copy_object")
        size = header["size"]
        with handle:
            result = self._write(
                "copy_object",
                dst_bucket,
                dst_key,
                dst_full,
                _read_chunks(handle, size),
                content_type=content_type or header["content_type"],
                metadata=checked if checked is not None else header["metadata"] or {},
            )
        if result.size != size or result.etag != header["etag"]:
            raise IntegrityError(
                "copy_object failed: the source changed size or checksum while being copied",
                bucket=src_bucket,
                key=src_key,
            )
        return result

    def move_object(
        self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str
    ) -> UploadResult:
        """Copy the object, then delete the source (kept if the copy fails); within one
        bucket too, so the destination appears whole before the source disappears.

        Raises:
            InvalidArgument: source and destination are the same object.
            ObjectNotFound, BucketNotFound: no source object, or no destination bucket.
        """
        return move_verified(self, src_bucket, src_key, dst_bucket, dst_key)

    def set_metadata(
        self,
        bucket: str,
        key: str,
        metadata: Mapping[str, str],
        *,
        content_type: str | None = None,
    ) -> UploadResult:
        """Replace the user metadata (and the content type if given); the bytes and
        ETag stay, the last-modified time changes (as on S3).

        Raises:
            ObjectNotFound, BucketNotFound: nothing there.
            InvalidArgument: bad metadata.
        """
        return self.copy_object(
            bucket, key, bucket, key, metadata=metadata, content_type=content_type
        )

    # ------------------------------------------------------ not on a folder
    def presign_url(
        self,
        bucket: str,
        key: str,
        *,
        method: str = "GET",
        expiration: int | float | timedelta = 3600,
        content_type: str | None = None,
        version_id: str | None = None,
        download_name: str | None = None,
    ) -> str:
        """Presigned URLs need an HTTP server; a folder has none. Takes ``S3Store``'s
        arguments (``Presigner``) so that callers get this reason, not a ``TypeError``.

        Raises:
            NotSupported: always.
        """
        raise NotSupported(
            "presign_url is not supported by the local store (a folder has no HTTP endpoint "
            "to sign URLs for); use an S3 store",
            bucket=bucket,
            key=key,
        )

    def presign_post(
        self,
        bucket: str,
        key: str,
        *,
        expiration: int | float | timedelta = 3600,
        min_size: int | None = None,
        max_size: int | None = None,
        content_type: str | None = None,
        content_type_prefix: str | None = None,
        key_prefix: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> PresignedPost:
        """Presigned POST forms need an HTTP server; a folder has none.

        Raises:
            NotSupported: always.
        """
        raise NotSupported(
            "presign_post is not supported by the local store (a folder has no HTTP endpoint); "
            "use an S3 store",
            bucket=bucket,
            key=key,
        )

    def ensure_bucket(
        self,
        bucket: str,
        *,
        versioning: bool | None = None,
        encryption: str | None = None,
        lifecycle: Sequence[LifecycleRule] | bool | None = None,
        object_lock: bool | None = None,
    ) -> EnsureReport:
        """Create the bucket if it is missing (as ``S3Store.ensure_bucket``).

        Args:
            versioning, encryption, lifecycle, object_lock: default None; a folder has
                none of these: asking for one is ``NotSupported`` (nothing is created).
                The ``BUCKET_CREATE_*`` settings are ignored.

        Returns:
            One ``bucket`` step: ``created`` or ``exists``.

        Raises:
            InvalidArgument: invalid name.
            NotSupported: a bucket feature the local store cannot have was asked for.
            PermissionDenied: the bucket's name in the root is a symbolic link (code
                ``SymlinkRefused``).
        """
        check_bucket_name(bucket)
        asked = [
            name
            for name, value in (
                ("versioning", versioning),
                ("encryption", encryption),
                ("lifecycle", lifecycle),
                ("object_lock", object_lock),
            )
            if value
        ]
        if asked:
            raise NotSupported(
                f"ensure_bucket: the local store has no {', '.join(asked)} (a folder cannot); "
                "use an S3 store",
                bucket=bucket,
            )
        with self._lock:
            if self.bucket_exists(bucket):
                return EnsureReport(bucket, (EnsureStep("bucket", "exists"),))
            self.create_bucket(bucket)
            return EnsureReport(bucket, (EnsureStep("bucket", "created"),))


# ------------------------------------------------------------------ helpers
class _Found(NamedTuple):
    """An object file met by a listing (``folder``: its folder's path, for messages)."""

    dir_fd: int
    name: str
    folder: Path


class _Child(NamedTuple):
    """One entry of a folder a listing walks (``skipped``: why it is not followed, or None)."""

    sort_key: str
    is_dir: bool
    name: str
    skipped: str | None


def _sort_key(name: str, *, is_dir: bool) -> str | None:
    """The listing sort key of a folder entry (its decoded segment, plus ``/`` for a
    folder), or None if it is neither a key folder nor an object file."""
    if is_dir:
        segment = "" if name == EMPTY_SEGMENT_DIR else decode_segment(name)
        return None if segment is None else segment + "/"
    if name.endswith(OBJECT_SUFFIX):
        return decode_segment(name.removesuffix(OBJECT_SUFFIX))
    return None


def _open_listed_folder(name: str, dir_fd: int, folder: Path) -> int | str | None:
    """The descriptor of a folder a listing walks into; None if it is gone or was
    swapped for a file since it was read; why not (with a warning) if it is a link
    or cannot be opened (permission denied...)."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if _is_link(exc, name, dir_fd):
            return _skip_link(folder / name)
        if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
            return None
        log.warning("list_objects: skipping %s, not opened (%s)", folder / name, exc.strerror)
        return f"could not be opened ({exc.strerror or exc})"


def _skip_link(path: Path) -> str:
    """Warn that a listing skips the symbolic link ``path``; returns the reason."""
    log.warning("list_objects: skipping %s, a symbolic link", path)
    return "a symbolic link"


def _is_link(exc: OSError, name: str, dir_fd: int | None) -> bool:
    """Whether an ``O_NOFOLLOW`` open of ``name`` failed with ``exc`` because it is a
    link (an ``lstat``, on failures only)."""
    if exc.errno not in _LINK_ERRNOS:
        return False
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def _open_at(
    name: str,
    flags: int,
    dir_fd: int | None,
    where: Callable[[], Path],
    operation: str,
    bucket: str | None = None,
    key: str | None = None,
) -> int:
    """``os.open(name, flags, dir_fd=dir_fd)``; a link met under ``O_NOFOLLOW`` is raised
    as ``PermissionDenied`` (code ``SymlinkRefused``) naming the path ``where()``."""
    try:
        return os.open(name, flags, 0o666, dir_fd=dir_fd)
    except OSError as exc:
        if _is_link(exc, name, dir_fd):
            raise _link_refused(operation, where(), bucket, key) from exc
        raise


def _link_refused(
    operation: str, path: Path, bucket: str | None, key: str | None = None
) -> PermissionDenied:
    """The error of a symbolic link met at ``path`` (code ``SymlinkRefused``)."""
    return PermissionDenied(
        f"{operation} failed: {str(path)!r} is a symbolic link; the local store "
        "follows no link at or below its root",
        code="SymlinkRefused",
        bucket=bucket,
        key=key,
    )


def _close(fds: Iterable[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


class _Properties(TypedDict):
    """An object's properties as its file's trailer holds them, checked by
    ``_check_header`` (the last three may be absent from an older trailer: None)."""

    size: int
    etag: str
    last_modified: float | None
    metadata: dict[str, str] | None
    content_type: str | None


def _trailer(header: Mapping[str, object]) -> bytes:
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return raw + _TRAILER.pack(len(raw), MAGIC)


def _read_trailer(handle: IO[bytes]) -> _Properties:
    """Read the properties from the end of an object file, leaving it at offset 0;
    ``IntegrityError`` if it is not a regular file or has no valid trailer."""
    try:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise IntegrityError("the object file is not a regular file")
        total = status.st_size
        if total < _TRAILER.size:
            raise IntegrityError("the object file has no trailer")
        json_end = total - _TRAILER.size
        handle.seek(json_end)
        length, magic = _TRAILER.unpack(handle.read(_TRAILER.size))
        if magic != MAGIC or length > MAX_HEADER_BYTES or length > json_end:
            raise IntegrityError("the object file's trailer is damaged")
        handle.seek(json_end - length)
        header = _check_header(json.loads(handle.read(length).decode("utf-8")), json_end - length)
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise IntegrityError(f"the object file's trailer is damaged ({exc})") from exc
    handle.seek(0)
    return header


def _is_text_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _is_timestamp(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value is None  # written before the field existed: shown as 1970
    return _FIRST_STAMP <= value <= _LAST_STAMP  # False for NaN and infinities too


# the seconds ``datetime`` can show (years 1 to 9999, UTC), with a second to spare
_FIRST_STAMP = datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC).timestamp()
_LAST_STAMP = datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC).timestamp()

# what a trailer's fields must be for ``_info`` and the readers to use them as they are
_FIELD_CHECKS: tuple[tuple[str, str, Callable[[object], bool]], ...] = (
    ("etag", "no ETag", lambda v: isinstance(v, str) and v != ""),
    ("last_modified", "a bad last-modified time", _is_timestamp),
    ("metadata", "bad user metadata", lambda v: v is None or _is_text_map(v)),
    ("content_type", "a bad content type", lambda v: v is None or isinstance(v, str)),
)


def _check_header(header: object, data_size: int) -> _Properties:
    """The trailer's properties, checked: a JSON object whose ``size`` is the data's,
    with a non-empty ``etag``, a representable ``last_modified``, ``metadata`` mapping
    text to text and a text ``content_type`` (the last three may be absent); else an
    ``IntegrityError`` naming the first wrong field."""
    if not isinstance(header, dict):
        raise IntegrityError("the object file's trailer is not a JSON object")
    size = header.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size != data_size:
        raise IntegrityError("the object file's size does not match its trailer")
    for field, problem, valid in _FIELD_CHECKS:
        if not valid(header.get(field)):
            raise IntegrityError(f"the object file's trailer has {problem} ({field})")
    return {
        "size": size,
        "etag": header["etag"],
        "last_modified": header.get("last_modified"),
        "metadata": header.get("metadata"),
        "content_type": header.get("content_type"),
    }


def _info(bucket: str, key: str, header: _Properties, *, full: bool) -> ObjectInfo:
    stamp = round(header["last_modified"] or 0.0, 3)
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=header["size"],
        etag=header["etag"],
        last_modified=datetime.fromtimestamp(stamp, tz=UTC),
        content_type=header["content_type"] if full else None,
        metadata=dict(header["metadata"] or {}) if full else {},
        storage_class="STANDARD",
    )


def _read_exact(handle: IO[bytes], count: int) -> bytes:
    data = handle.read(count)
    if len(data) != count:
        raise IntegrityError("the object file is shorter than its trailer says")
    return data


def _read_chunks(stream: IO[bytes], limit: int | None = None) -> Iterator[bytes]:
    while limit is None or limit > 0:
        chunk = stream.read(CHUNK if limit is None else min(CHUNK, limit))
        if not chunk:
            return
        if limit is not None:
            limit -= len(chunk)
        yield bytes(chunk)


class _Slice(io.RawIOBase):
    """The first ``size`` bytes of an open object file (its data, not its trailer)."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        super().__init__()
        self._handle = handle
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        data = os.pread(self._handle.fileno(), want, self._pos)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        bases = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}
        if whence not in bases:
            raise io.UnsupportedOperation(f"whence {whence} is not supported (0, 1 or 2)")
        position = bases[whence] + offset
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._pos = position
        return position

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()


if TYPE_CHECKING:
    from backend.src.libs.bucket.base import capabilities as _capabilities

    def _has_capabilities(
        store: LocalStore,
    ) -> tuple[
        _capabilities.Store,
        _capabilities.Configured,
        _capabilities.DeclaresOptions,
        _capabilities.ReportsUnreadable,
    ]:
        """mypy checks here that ``LocalStore`` has these capabilities' exact signatures
        (``Store``'s ``Presigner`` methods only to refuse: a folder has no URL to sign)."""
        return (store, store, store, store)
