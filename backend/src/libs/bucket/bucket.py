"""``Bucket``: the final facade with numeric return codes over an ``ObjectStore``.

Every public method returns ``success`` / ``error`` (or its data, or ``error``) and
never raises for a storage, network or input error: the failure is logged once (the
``bucket.Bucket`` logger: WARNING, or DEBUG for a missing key or bucket asked about, see
``READS``) and kept in ``last_error``. Code that prefers exceptions uses ``bucket.store``.

Connection model: building a ``Bucket`` makes no request; ``connect()`` checks the store
with one. With a default bucket and ``BUCKET_AUTO_CREATE`` on (the default), ``connect()``
and the first operation first make sure that bucket exists (``ensure_bucket``: HEAD,
create on 404 with the ``BUCKET_CREATE_*`` setup); no other request is added before
operations. An operation that fails because the connection dropped is tried once more on
a rebuilt client.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, TypedDict, TypeVar, Unpack, cast

from backend.src.libs.bucket.base.capabilities import (
    Store,
    bucket_encryption,
    bucket_inspection,
    check_options,
    check_write,
    config_of,
    lifecycle,
    not_supported,
    object_lock,
    object_tagging,
    presigner,
    versioning,
)
from backend.src.libs.bucket.base.errors import ConnectionFailed, InvalidArgument, StorageError
from backend.src.libs.bucket.base.options import TransferSettings, WriteArguments, WriteOptions
from backend.src.libs.bucket.base.store import (
    Data,
    DeleteResult,
    ListEntry,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    ProgressCallback,
    UploadResult,
)
from backend.src.libs.bucket.base.validation import check_keys, run_named
from backend.src.libs.core.codes import Unknown
from backend.src.libs.core.facade import Facade
from backend.src.libs.core.final import FinalClass

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from backend.src.libs.bucket.base.config import BucketConfig
    from backend.src.libs.bucket.base.stats import BucketStats
    from backend.src.libs.bucket.features.batch import ItemResult
    from backend.src.libs.bucket.s3.admin import (
        BucketProperties,
        EnsureReport,
        LifecycleRule,
        LockMode,
        ObjectVersion,
        Retention,
    )
    from backend.src.libs.bucket.s3.presign import PresignedPost

T = TypeVar("T")

_WORDS = {"bucket": "bucket_name", "key": "key_name", "keys": "key_names"}
"""The facade's names for the core's arguments, in every message raised below it."""
_PATH_WORDS = {"upload_file": "file_path", "download_file": "destination_path"}
"""The facade's name for the core's ``path``, per operation."""


READS = frozenset(
    {
        "bucket_exists",
        "file_exists",
        "download_file",
        "download_stream",
        "get_file_range",
        "open_file",
        "get_bucket_files",
        "list_files",
        "get_file_info",
        "get_many",
        "download_directory",
        "get_versioning",
        "list_file_versions",
        "get_bucket_encryption",
        "get_lifecycle",
        "get_file_tags",
        "get_retention",
        "get_legal_hold",
        "get_bucket_info",
        "get_bucket_stats",
    }
)
"""The operations that only ask about a key or a bucket: their ``NotFound`` (a missing key
or bucket) is an answer, logged at DEBUG. A ``NotFound`` anywhere else (a write to a
missing bucket, a copy of a missing source, deleting a missing bucket) is a failure,
logged at WARNING like every other."""


def facade_words(operation: str) -> dict[str, str]:
    """The names ``operation``'s messages use for the core's arguments (``key_name``,
    ``file_path``...), for ``validation.naming``: ``Bucket`` and ``AsyncBucket`` alike."""
    path = _PATH_WORDS.get(operation)
    return {**_WORDS, "path": path} if path else _WORDS


def as_storage_error(exc: Exception, operation: str) -> StorageError:
    """``exc`` as a ``StorageError`` (itself when it is one); ``AsyncBucket``'s too."""
    if isinstance(exc, StorageError):
        return exc
    return StorageError(f"{operation} failed: {exc!r}", code=type(exc).__name__)


class BucketFile(TypedDict):
    """``Bucket.get_bucket_file``'s dict: the seed's ``file_path`` and ``file_size`` beside
    the core's ``key`` and ``size`` (both kept: callers of either vocabulary read it)."""

    bucket: str
    file_path: str
    key: str
    file_size: int
    size: int
    etag: str | None
    last_modified: datetime | None
    content_type: str | None
    metadata: dict[str, str]
    storage_class: str | None
    version_id: str | None


class Bucket(Facade["BucketConfig", ObjectStore, StorageError], metaclass=FinalClass):
    """Object storage with return codes: AWS S3, MinIO, Ceph RGW, SeaweedFS or a folder.

    The lifecycle (lazy store, ``connect``, ``health_check``, ``disconnect``, ``with``
    blocks, one replay after a dropped connection) is ``Facade``'s; ``Bucket`` adds the
    default bucket made ready on first use.

    Args:
        error: the code returned on failure (default 84).
        success: the code returned on success (default 0).
        auto_connect: build the store now (no request is made); otherwise on first use.
        debug: kept for the seeds' signature; changes nothing (the application sets the
            ``bucket`` logger's level).
        config: settings; default ``BucketConfig.from_env()`` (environment and ``.env``),
            read on first use: a bad setting is ``error`` from ``connect()`` or the first
            operation, never an exception.
        store: an ``ObjectStore`` to use instead of building one (tests, custom stores).

    Attributes:
        last_error: the ``StorageError`` of the calling thread's (or asyncio task's) last
            call; None after a success.
        last_latency: seconds taken by the last ``health_check`` / ``is_connected`` probe.
        bucket_report: the ``EnsureReport`` of the last ``ensure_bucket`` (or of the
            default bucket made ready at start); None before any.

    Thread-safety: one instance may be shared by threads and tasks.
    """

    def __init__(
        self,
        error: int = 84,
        success: int = 0,
        auto_connect: bool = True,
        debug: bool = False,
        *,
        config: BucketConfig | None = None,
        store: Store | None = None,
    ) -> None:
        self.bucket_report: EnsureReport | None = None
        self._prepared = False
        self._init_facade(
            error=error,
            success=success,
            debug=debug,
            auto_connect=auto_connect,
            config=config,
            resource=store,
        )

    # ------------------------------------------------------------- plumbing
    logger_name = "bucket.Bucket"
    reads = READS

    def _read_config(self) -> BucketConfig:
        from backend.src.libs.bucket.base.config import BucketConfig

        return BucketConfig.from_env()

    @property
    def store(self) -> Store:
        """The exception-based core store, an ``S3Store`` or a ``LocalStore`` (built on
        first access, which also makes the default bucket ready, see
        ``BUCKET_AUTO_CREATE``). S3's other capabilities are reached with
        ``isinstance(store, Lifecycle)`` and the like.

        Raises:
            ConfigError: a setting is invalid.
            StorageError: the default bucket could not be made ready.
        """
        store = cast("Store", self._ensure())  # built by make_store, or given as a Store
        if not self._prepared:
            with self._lock:
                if not self._prepared:
                    self._prepare_default_bucket(store)
                    self._prepared = True
        return store

    def _prepare_default_bucket(self, store: Store) -> None:
        config = self.config
        name = config.default_bucket
        if not (self._owns_resource and name and config.auto_create):
            return
        report = self.bucket_report = store.ensure_bucket(name)
        for step in report.steps:
            if step.outcome in ("denied", "unsupported"):
                self.log.warning(
                    "connect: default bucket %s: %s %s: %s",
                    name,
                    step.name,
                    step.outcome,
                    step.reason,
                )
        report.raise_for_failure()

    def _open(self) -> ObjectStore:
        from backend.src.libs.bucket.factory import make_store

        return make_store(self.config)

    def _release(self, resource: ObjectStore, *, owned: bool) -> None:
        resource.close()  # a store given to the constructor is closed too, and kept

    def _probe(self, resource: ObjectStore) -> object:
        return resource.ping()  # HeadBucket on the default bucket, else ListBuckets

    def _forget(self) -> None:
        self._prepared = False

    def _reconnect(self) -> None:
        with self._lock:
            if self._resource is not None:
                self._resource.close()

    def _attempt(
        self, operation: str, func: Callable[[], T], *, quiet: bool = False
    ) -> tuple[bool, T | None]:
        """``ReturnCodes._attempt``, the core's messages naming arguments as the facade."""
        words = facade_words(operation)
        return super()._attempt(operation, lambda: run_named(words, func), quiet=quiet)

    _translate = staticmethod(as_storage_error)

    def _is_dropped(self, error: StorageError) -> bool:
        """``ConnectionFailed``, but not ``DeadlineExceeded``: a server that answered too
        slowly would meet new connections just as slowly, and the call's time bound would
        double."""
        return isinstance(error, ConnectionFailed) and error.code != "DeadlineExceeded"

    def _ask(self, operation: str, question: Callable[[], bool]) -> bool | Unknown:
        """A yes/no ``question`` (with the replay): its answer, or ``Unknown(error)``."""
        ok, answer = self._attempt(operation, self._replaying(operation, question))
        return bool(answer) if ok else Unknown(self.error)

    # ----------------------------------------------------------- connection
    def _connect_probe(self) -> None:
        store = self.store
        report = self.bucket_report
        if report is not None and report.outcome("bucket") == "denied":
            return  # HeadBucket was refused (403) and is not fatal: do not repeat it
        store.ping()

    # -------------------------------------------------------------- buckets
    def get_bucket_names(self) -> list[str] | int:
        """Names of every bucket the credentials can see, or ``error``."""
        return self._call("get_bucket_names", lambda: [b.name for b in self.store.list_buckets()])

    def create_bucket(self, bucket_name: str, *, exist_ok: bool = True) -> int:
        """Create a bucket in the configured region. Creating a bucket you already own
        succeeds unless ``exist_ok=False``; a name another account owns, or an invalid
        name (refused before any request), returns ``error``."""
        return self._code(
            "create_bucket", lambda: self.store.create_bucket(bucket_name, exist_ok=exist_ok)
        )

    def ensure_bucket(
        self,
        bucket_name: str,
        *,
        versioning: bool | None = None,
        encryption: str | None = None,
        lifecycle: Sequence[LifecycleRule] | bool | None = None,
        object_lock: bool | None = None,
    ) -> int:
        """Create the bucket if it does not exist; ``success`` if it exists or was made.

        A bucket this call creates is configured from the options, which default to the
        ``BUCKET_CREATE_*`` settings (all off): ``versioning``, default ``encryption``
        (``AES256``/``aws:kms``), ``lifecycle`` (rules, or True for the settings' policy,
        see ``set_lifecycle``) and ``object_lock``. An existing bucket is left as it is.
        A store without these features (the local store) returns ``error``
        (``NotSupported``) only when an option is asked for.
        """
        options = _given(
            versioning=versioning,
            encryption=encryption,
            lifecycle=lifecycle,
            object_lock=object_lock,
        )

        def run() -> None:
            from backend.src.libs.bucket.s3.admin import EnsuresBucket

            store = self.store
            if isinstance(store, EnsuresBucket):
                report = self.bucket_report = store.ensure_bucket(bucket_name, **options)
                report.raise_for_failure()
                return
            if options:
                raise not_supported(store, "ensure_bucket with creation options")
            if not store.bucket_exists(bucket_name):
                store.create_bucket(bucket_name)

        return self._code("ensure_bucket", run)

    def bucket_exists(self, bucket_name: str) -> bool | Unknown:
        """True or False; ``Unknown`` when the server cannot say (unreachable, denied, a
        bad setting): falsy, so ``if bucket.bucket_exists(b):`` is safe, yet equal to
        ``error``; ``last_error`` says why."""
        return self._ask("bucket_exists", lambda: self.store.bucket_exists(bucket_name))

    def delete_bucket(self, bucket_name: str, *, force: bool = False) -> int:
        """Delete a bucket; with ``force`` empty it first (every version too). With a key
        prefix (``BUCKET_PREFIX``) the bucket is shared: ``force`` empties the prefix only
        and keeps the bucket. Without ``force``, ``error`` (``BucketNotEmpty``) when the
        bucket (the prefix) holds objects.
        """
        return self._code(
            "delete_bucket", lambda: self.store.delete_bucket(bucket_name, force=force)
        )

    # -------------------------------------------------------------- objects
    def upload_file(
        self,
        bucket_name: str,
        file_path: str | os.PathLike[str],
        key_name: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        **options: Unpack[WriteArguments],
    ) -> int:
        """Upload a local file: one PUT below ``multipart_threshold``, else a parallel
        multipart upload (aborted on failure: nothing half-written stays).

        Args:
            key_name: default: ``file_path`` as given, without leading ``/`` or ``./``.
            content_type: default: guessed from the key.
            metadata: user metadata, 2 KiB at most.
            progress: ``progress(bytes_done, bytes_total)``.
            sse, sse_kms_key_id, sse_customer_key: server-side encryption
                (``"AES256"``, ``"aws:kms"`` + key id, or an SSE-C key); default: the
                store's ``BUCKET_SSE*`` settings.
            storage_class: e.g. ``"STANDARD_IA"``; default: ``BUCKET_STORAGE_CLASS``.
            tags: object tags.
            if_none_match: ``"*"`` makes the write write-once: ``error`` with an
                ``AlreadyExists`` ``last_error`` when the key exists.
            lock_mode, retain_until, legal_hold: object lock (bucket created with lock).
            multipart_threshold, part_size, max_concurrency: this call's transfer
                settings; default: the store's.

        The options become one ``WriteOptions`` (checked before any request); the S3
        options are sent only when given; a store without one of them (the local folder
        store) returns ``error`` with a ``NotSupported`` ``last_error``.
        """

        def run() -> object:
            _check_path(file_path, "file_path")
            key = key_name if key_name is not None else _default_key(file_path)
            store = self.store
            write, transfer = write_settings(store, "upload_file", options)
            return store.upload_file(
                bucket_name,
                key,
                os.fspath(file_path),
                options=write,
                progress=progress,
                transfer=transfer,
            )

        return self._code("upload_file", run)

    def upload_stream(
        self,
        bucket_name: str,
        data: Data,
        key_name: str,
        *,
        progress: ProgressCallback | None = None,
        **options: Unpack[WriteArguments],
    ) -> int:
        """Upload bytes, text (UTF-8) or a binary stream of any length, even unknown
        (multipart above the threshold). Options as for ``upload_file``.

        A dropped connection is retried once only when the data can be replayed
        (bytes, text, or a seekable stream, rewound to where it started).
        """
        start = _tell(data)

        def run() -> object:
            if start is not None:
                data.seek(start)  # type: ignore[union-attr]
            store = self.store
            write, transfer = write_settings(store, "put_object", options)
            return store.put_object(
                bucket_name, key_name, data, options=write, progress=progress, transfer=transfer
            )

        replayable = isinstance(data, (bytes, bytearray, memoryview, str)) or start is not None
        return self._code("upload_stream", run, reconnect=replayable)

    def download_file(
        self,
        bucket_name: str,
        key_name: str,
        destination_path: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
        multipart_threshold: int | None = None,
        part_size: int | None = None,
        max_concurrency: int | None = None,
    ) -> int:
        """Download to ``destination_path``; the file appears whole or not at all.

        Args:
            progress: ``progress(bytes_done, bytes_total)``.
            version_id: a given version (versioned buckets).
            sse_customer_key: the SSE-C key the object was written with.
            multipart_threshold, part_size, max_concurrency: parallel ranged GETs above
                the threshold; default: the store's settings.
        """
        options = _given(
            version_id=version_id,
            sse_customer_key=sse_customer_key,
            multipart_threshold=multipart_threshold,
            part_size=part_size,
            max_concurrency=max_concurrency,
        )

        def run() -> object:
            _check_path(destination_path, "destination_path")
            return self._optioned("download_file", options).download_file(
                bucket_name, key_name, os.fspath(destination_path), progress=progress, **options
            )

        return self._code("download_file", run)

    def download_stream(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> bytes | int:
        """The object's bytes (of ``version_id``, decrypted with an SSE-C key), or ``error``."""
        options = _given(version_id=version_id, sse_customer_key=sse_customer_key)
        return self._call(
            "download_stream",
            # start and end spelt out (the whole object): options holds no range
            lambda: self._optioned("get_object", options).get_object(
                bucket_name, key_name, start=None, end=None, **options
            ),
        )

    def get_file_range(
        self,
        bucket_name: str,
        key_name: str,
        *,
        start: int | None = None,
        end: int | None = None,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> bytes | int:
        """Bytes ``start..end`` (inclusive; an open end reads to the end) of the object,
        or ``error``. ``end`` past the end is clamped; ``start`` past it is an error."""
        options = _given(version_id=version_id, sse_customer_key=sse_customer_key)
        return self._call(
            "get_file_range",
            lambda: self._optioned("get_object", options).get_object(
                bucket_name, key_name, start=start, end=end, **options
            ),
        )

    def open_file(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> IO[bytes] | int:
        """A readable binary stream of the object (the caller closes it), or ``error``."""
        options = _given(version_id=version_id, sse_customer_key=sse_customer_key)
        return self._call(
            "open_file",
            lambda: self._optioned("open_object", options).open_object(
                bucket_name, key_name, **options
            ),
        )

    def delete_file(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        bypass_governance: bool = False,
    ) -> int:
        """Delete one object (``success`` if it was already gone). With ``version_id``,
        delete that version (or delete marker) for good; ``bypass_governance`` lifts a
        GOVERNANCE-mode retention when the credentials may."""
        options = _given(version_id=version_id, bypass_governance=bypass_governance or None)
        return self._code(
            "delete_file",
            lambda: self._optioned("delete_object", options).delete_object(
                bucket_name, key_name, **options
            ),
        )

    def delete_files(self, bucket_name: str, key_names: Iterable[str]) -> DeleteResult | int:
        """Delete many objects (1000 a request).

        Every key is checked first: a key that is not a string, empty, over 1024 bytes or
        holding NUL, a ``key_names`` that is not an iterable of keys, or a generator that
        raises, deletes nothing and returns ``error`` (``last_error`` an
        ``InvalidArgument`` naming the position, ``key_names[1000]``).

        Returns:
            A ``DeleteResult`` (a batch refused after an earlier one was deleted: its keys
            and the later ones are in ``errors``), or ``error`` when nothing was deleted.
        """
        keys = self._call("delete_files", lambda: check_keys(key_names), reconnect=False)
        if not isinstance(keys, list):
            return self.error
        from backend.src.libs.bucket.features import batch  # on first use: cheap package import

        result = self._call(
            "delete_files", lambda: batch.delete_keys(self.store, bucket_name, keys)
        )
        if isinstance(result, DeleteResult) and result.errors:
            first = result.errors[0]
            self.log.warning(
                "delete_files: %d key(s) not deleted, first %r: %s %s",
                len(result.errors),
                first.key,
                first.code,
                first.message,
            )
        return result

    def get_bucket_files(self, bucket_name: str) -> list[str] | int:
        """Every key of the bucket (all pages), or ``error``. Builds a list: prefer
        ``list_files`` for large buckets."""

        def run() -> list[str]:
            return [
                e.key for e in self.store.list_objects(bucket_name) if isinstance(e, ObjectInfo)
            ]

        return self._call("get_bucket_files", run)

    def list_files(
        self,
        bucket_name: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        max_keys: int | None = None,
        start_after: str | None = None,
        page_size: int = 1000,
    ) -> Iterator[ListEntry] | int:
        """A generator of ``ObjectInfo`` (and ``PrefixInfo`` with a delimiter), one page
        in memory at a time. The first page is fetched before returning (a missing bucket
        or bad input returns ``error``); a failure on a later page ends the iteration
        early, logs it and sets ``last_error``: check it after the loop.
        """

        def first() -> tuple[Iterator[ListEntry], list[ListEntry]]:
            iterator = self.store.list_objects(
                bucket_name,
                prefix=prefix,
                delimiter=delimiter,
                max_keys=max_keys,
                start_after=start_after,
                page_size=page_size,
            )
            return iterator, list(itertools.islice(iterator, 1))

        started = self._call("list_files", first)
        if not isinstance(started, tuple):
            return self.error
        iterator, head = started
        return self._rest("list_files", iterator, head)

    def _rest(
        self, operation: str, iterator: Iterator[ListEntry], head: list[ListEntry]
    ) -> Iterator[ListEntry]:
        yield from head
        try:
            yield from iterator
        except StorageError as exc:
            self._fail(operation, exc)

    def get_bucket_file(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> BucketFile | int:
        """The object's properties as a dict (``file_path``, ``file_size``, ``etag``,
        ``last_modified``, ``content_type``, ``metadata``...), or ``error``."""
        info = self.get_file_info(
            bucket_name, key_name, version_id=version_id, sse_customer_key=sse_customer_key
        )
        return _file_dict(info) if isinstance(info, ObjectInfo) else info

    def get_file_info(
        self,
        bucket_name: str,
        key_name: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> ObjectInfo | int:
        """The object's properties as an ``ObjectInfo`` (of ``version_id``), or ``error``."""
        options = _given(version_id=version_id, sse_customer_key=sse_customer_key)
        return self._call(
            "get_file_info",
            lambda: self._optioned("head_object", options).head_object(
                bucket_name, key_name, **options
            ),
        )

    def file_exists(self, bucket_name: str, key_name: str) -> bool | Unknown:
        """True or False; ``Unknown`` (falsy, equal to ``error``) when the server cannot
        say, ``last_error`` saying why (see ``bucket_exists``)."""
        return self._ask("file_exists", lambda: self.store.object_exists(bucket_name, key_name))

    def set_file_metadata(
        self,
        bucket_name: str,
        key_name: str,
        metadata: Mapping[str, str],
        *,
        content_type: str | None = None,
    ) -> int:
        """Replace the object's user metadata (and content type, if given)."""
        return self._code(
            "set_file_metadata",
            lambda: self.store.set_metadata(
                bucket_name, key_name, metadata, content_type=content_type
            ),
        )

    def copy_file(
        self,
        bucket_name: str,
        key_name: str,
        dest_key: str,
        *,
        dest_bucket: str | None = None,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> int:
        """Copy an object (server side), to ``dest_bucket`` (default: the same bucket).
        Metadata is copied, or replaced when ``metadata`` / ``content_type`` is given."""
        return self._code(
            "copy_file",
            lambda: self.store.copy_object(
                bucket_name,
                key_name,
                dest_bucket or bucket_name,
                dest_key,
                metadata=metadata,
                content_type=content_type,
            ),
        )

    def move_file(
        self, bucket_name: str, key_name: str, dest_key: str, *, dest_bucket: str | None = None
    ) -> int:
        """Copy then delete the source; the source stays if the copy fails."""
        return self._code(
            "move_file",
            lambda: self.store.move_object(
                bucket_name, key_name, dest_bucket or bucket_name, dest_key
            ),
        )

    # ------------------------------------------------------ many objects
    def put_many(
        self,
        bucket_name: str,
        items: Mapping[str, Data] | Iterable[tuple[str, Data]],
        *,
        max_workers: int | None = None,
        content_type: str | None = None,
    ) -> list[ItemResult[UploadResult]] | int:
        """Store many objects on ``max_workers`` threads (default ``BUCKET_MAX_WORKERS``).
        One ``ItemResult`` per item, in input order; a failed item carries its error and
        does not stop the others. ``error`` only when the call itself is invalid."""
        from backend.src.libs.bucket.features import batch  # on first use: cheap package import

        return self._call(
            "put_many",
            lambda: batch.put_many(
                self.store, bucket_name, items, max_workers=max_workers, content_type=content_type
            ),
        )

    def get_many(
        self, bucket_name: str, key_names: Iterable[str], *, max_workers: int | None = None
    ) -> list[ItemResult[bytes]] | int:
        """Read many objects in parallel; one ``ItemResult`` (bytes) per key, in input order."""
        from backend.src.libs.bucket.features import batch  # on first use: cheap package import

        return self._call(
            "get_many",
            lambda: batch.get_many(self.store, bucket_name, key_names, max_workers=max_workers),
        )

    def delete_many(
        self, bucket_name: str, key_names: Iterable[str], *, max_workers: int | None = None
    ) -> list[ItemResult[None]] | int:
        """Delete many objects (batches of 1000 sent in parallel); one ``ItemResult`` per
        key, in input order."""
        from backend.src.libs.bucket.features import batch  # on first use: cheap package import

        return self._call(
            "delete_many",
            lambda: batch.delete_many(self.store, bucket_name, key_names, max_workers=max_workers),
        )

    def upload_directory(
        self,
        bucket_name: str,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "",
        max_workers: int | None = None,
    ) -> list[ItemResult[UploadResult]] | int:
        """Upload every file under ``directory`` as ``prefix + relative/path``; one result
        per file in path order, or ``error`` when ``directory`` is not a folder."""
        from backend.src.libs.bucket.features import batch  # on first use: cheap package import

        return self._call(
            "upload_directory",
            lambda: batch.upload_directory(
                self.store, bucket_name, directory, prefix=prefix, max_workers=max_workers
            ),
        )

    def download_directory(
        self,
        bucket_name: str,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "",
        max_workers: int | None = None,
    ) -> list[ItemResult[int]] | int:
        """Download every object under ``prefix`` into ``directory`` (folders created);
        keys that would land outside it fail alone. One result per object, in key order."""
        from backend.src.libs.bucket.features import batch  # on first use: cheap package import

        return self._call(
            "download_directory",
            lambda: batch.download_directory(
                self.store, bucket_name, directory, prefix=prefix, max_workers=max_workers
            ),
        )

    def _optioned(self, operation: str, options: Mapping[str, object]) -> ObjectStore:
        """The store, once it declares every one of ``options`` for ``operation``.

        Raises:
            NotSupported: an option the store does not declare (nothing is sent).
        """
        store = self.store
        check_options(store, operation, options)
        return store

    # ------------------------------------------------------ S3-only features
    # presigning
    def presign_url(
        self,
        bucket_name: str,
        key_name: str,
        *,
        method: str = "GET",
        expiration: float | timedelta = 3600,
        content_type: str | None = None,
        version_id: str | None = None,
        download_name: str | None = None,
    ) -> str | int:
        """A presigned GET (default) or PUT URL, or ``error``. No request is made.

        ``expiration`` is seconds or a timedelta, 1 s .. 7 days (default 3600); outside
        it ``last_error`` is an ``InvalidArgument`` naming ``expiration``. Signed for
        ``BUCKET_PUBLIC_URL`` when set.
        """
        return self._call(
            "presign_url",
            lambda: presigner(self.store, "presign_url").presign_url(
                bucket_name,
                key_name,
                method=method,
                expiration=expiration,
                content_type=content_type,
                version_id=version_id,
                download_name=download_name,
            ),
        )

    def presign_post(
        self,
        bucket_name: str,
        key_name: str,
        *,
        expiration: float | timedelta = 3600,
        min_size: int | None = None,
        max_size: int | None = None,
        content_type: str | None = None,
        content_type_prefix: str | None = None,
        key_prefix: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> PresignedPost | int:
        """A ``PresignedPost`` (``url`` and form ``fields``) for a browser upload with
        conditions (size range, content type, key prefix), or ``error``."""
        return self._call(
            "presign_post",
            lambda: presigner(self.store, "presign_post").presign_post(
                bucket_name,
                key_name,
                expiration=expiration,
                min_size=min_size,
                max_size=max_size,
                content_type=content_type,
                content_type_prefix=content_type_prefix,
                key_prefix=key_prefix,
                fields=fields,
            ),
        )

    # versioning
    def set_versioning(self, bucket_name: str, *, enabled: bool = True) -> int:
        """Enable (default) or suspend versioning."""
        return self._code(
            "set_versioning",
            lambda: versioning(self.store, "set_versioning").set_versioning(bucket_name, enabled),
        )

    def get_versioning(self, bucket_name: str) -> str | int | None:
        """``"Enabled"``, ``"Suspended"``, None (never versioned), or ``error``."""
        return self._call(
            "get_versioning",
            lambda: versioning(self.store, "get_versioning").get_versioning(bucket_name),
        )

    def list_file_versions(
        self, bucket_name: str, *, prefix: str = "", page_size: int = 1000
    ) -> list[ObjectVersion] | int:
        """Every ``ObjectVersion`` (versions and delete markers) under ``prefix``, all
        pages, or ``error``."""
        return self._call(
            "list_file_versions",
            lambda: list(
                versioning(self.store, "list_object_versions").list_object_versions(
                    bucket_name, prefix=prefix, page_size=page_size
                )
            ),
        )

    # encryption
    def set_bucket_encryption(
        self, bucket_name: str, *, algorithm: str = "AES256", kms_key_id: str | None = None
    ) -> int:
        """Set the bucket's default encryption (SSE-S3 by default, or ``aws:kms``)."""
        return self._code(
            "set_bucket_encryption",
            lambda: bucket_encryption(self.store, "set_bucket_encryption").set_bucket_encryption(
                bucket_name, algorithm, kms_key_id=kms_key_id
            ),
        )

    def get_bucket_encryption(self, bucket_name: str) -> tuple[str, str | None] | int | None:
        """``(algorithm, kms key id)``, None when unset, or ``error``."""
        return self._call(
            "get_bucket_encryption",
            lambda: bucket_encryption(self.store, "get_bucket_encryption").get_bucket_encryption(
                bucket_name
            ),
        )

    def delete_bucket_encryption(self, bucket_name: str) -> int:
        """Remove the bucket's default encryption."""
        return self._code(
            "delete_bucket_encryption",
            lambda: bucket_encryption(
                self.store, "delete_bucket_encryption"
            ).delete_bucket_encryption(bucket_name),
        )

    # lifecycle
    def set_lifecycle(
        self, bucket_name: str, *, rules: Sequence[LifecycleRule] | None = None
    ) -> int:
        """Replace the bucket's lifecycle rules (``LifecycleRule`` objects); None applies
        the settings' policy (30 d STANDARD_IA, 90 d GLACIER, expire 365 d, abort
        incomplete multipart uploads after 7 d)."""

        def run() -> None:
            from backend.src.libs.bucket.s3.admin import default_lifecycle

            chosen = rules if rules is not None else [default_lifecycle(self.config)]
            lifecycle(self.store, "set_lifecycle").set_lifecycle(bucket_name, chosen)

        return self._code("set_lifecycle", run)

    def get_lifecycle(self, bucket_name: str) -> tuple[LifecycleRule, ...] | int:
        """The bucket's ``LifecycleRule`` tuple (empty when none), or ``error``."""
        return self._call(
            "get_lifecycle",
            lambda: lifecycle(self.store, "get_lifecycle").get_lifecycle(bucket_name),
        )

    def delete_lifecycle(self, bucket_name: str) -> int:
        """Remove every lifecycle rule."""
        return self._code(
            "delete_lifecycle",
            lambda: lifecycle(self.store, "delete_lifecycle").delete_lifecycle(bucket_name),
        )

    # tagging
    def set_file_tags(
        self,
        bucket_name: str,
        key_name: str,
        tags: Mapping[str, str],
        *,
        version_id: str | None = None,
    ) -> int:
        """Replace the object's tags (at most 10)."""
        return self._code(
            "set_file_tags",
            lambda: object_tagging(self.store, "set_object_tags").set_object_tags(
                bucket_name, key_name, tags, version_id=version_id
            ),
        )

    def get_file_tags(
        self, bucket_name: str, key_name: str, *, version_id: str | None = None
    ) -> dict[str, str] | int:
        """The object's tags, or ``error``."""
        return self._call(
            "get_file_tags",
            lambda: object_tagging(self.store, "get_object_tags").get_object_tags(
                bucket_name, key_name, version_id=version_id
            ),
        )

    def delete_file_tags(self, bucket_name: str, key_name: str) -> int:
        """Remove the object's tags."""
        return self._code(
            "delete_file_tags",
            lambda: object_tagging(self.store, "delete_object_tags").delete_object_tags(
                bucket_name, key_name
            ),
        )

    # object lock
    def set_retention(
        self,
        bucket_name: str,
        key_name: str,
        *,
        mode: LockMode,
        retain_until: datetime,
        version_id: str | None = None,
    ) -> int:
        """Keep an object version until ``retain_until`` (GOVERNANCE or COMPLIANCE)."""
        return self._code(
            "set_retention",
            lambda: object_lock(self.store, "set_retention").set_retention(
                bucket_name, key_name, mode=mode, retain_until=retain_until, version_id=version_id
            ),
        )

    def get_retention(
        self, bucket_name: str, key_name: str, *, version_id: str | None = None
    ) -> Retention | int | None:
        """The version's ``Retention`` (None when none), or ``error``."""
        return self._call(
            "get_retention",
            lambda: object_lock(self.store, "get_retention").get_retention(
                bucket_name, key_name, version_id=version_id
            ),
        )

    def set_legal_hold(
        self, bucket_name: str, key_name: str, *, on: bool = True, version_id: str | None = None
    ) -> int:
        """Put (default) or lift a legal hold."""
        return self._code(
            "set_legal_hold",
            lambda: object_lock(self.store, "set_legal_hold").set_legal_hold(
                bucket_name, key_name, on, version_id=version_id
            ),
        )

    def get_legal_hold(
        self, bucket_name: str, key_name: str, *, version_id: str | None = None
    ) -> bool | Unknown:
        """True when a legal hold is on, False when not; ``Unknown`` (falsy, equal to
        ``error``) when the server cannot say, ``last_error`` saying why."""
        return self._ask(
            "get_legal_hold",
            lambda: object_lock(self.store, "get_legal_hold").get_legal_hold(
                bucket_name, key_name, version_id=version_id
            ),
        )

    # info and stats
    def get_bucket_info(self, bucket_name: str) -> BucketProperties | int:
        """A ``BucketProperties`` (region, versioning, encryption, lifecycle, object
        lock), or ``error``."""
        return self._call(
            "get_bucket_info",
            lambda: bucket_inspection(self.store, "get_bucket_info").get_bucket_info(bucket_name),
        )

    def get_bucket_stats(
        self, bucket_name: str, *, prefix: str = "", page_size: int = 1000
    ) -> BucketStats | int:
        """A ``BucketStats`` (count and bytes in total, per top-level prefix and per
        storage class) over every listing page, on any store; or ``error``."""
        from backend.src.libs.bucket.base.stats import bucket_stats

        return self._call(
            "get_bucket_stats",
            lambda: bucket_stats(self.store, bucket_name, prefix=prefix, page_size=page_size),
        )


def write_settings(
    store: ObjectStore, operation: str, arguments: WriteArguments
) -> tuple[WriteOptions, TransferSettings]:
    """A write's ``WriteOptions`` (from the facade's keyword ``arguments``, with the
    store's config) and ``TransferSettings``, once the store declares every option set
    (``capabilities.check_write``); ``Bucket`` and ``AsyncBucket`` alike.

    Raises:
        InvalidArgument: an option out of its domain, or not an option (named).
        NotSupported: an option the store does not declare (nothing is sent).
    """
    options = WriteOptions.from_arguments(config=config_of(store), **arguments)
    transfer = TransferSettings(
        arguments.get("multipart_threshold"),
        arguments.get("part_size"),
        arguments.get("max_concurrency"),
    )
    check_write(store, operation, options, transfer)
    return options, transfer


def _given(**options: object) -> dict[str, object]:
    """The options that were given (not None), to pass on to the store."""
    return {name: value for name, value in options.items() if value is not None}


def _file_dict(info: ObjectInfo) -> BucketFile:
    """``info`` as ``get_bucket_file``'s ``BucketFile``."""
    return {
        "bucket": info.bucket,
        "file_path": info.key,
        "key": info.key,
        "file_size": info.size,
        "size": info.size,
        "etag": info.etag,
        "last_modified": info.last_modified,
        "content_type": info.content_type,
        "metadata": dict(info.metadata),
        "storage_class": info.storage_class,
        "version_id": info.version_id,
    }


def _check_path(path: object, argument: str) -> None:
    """``InvalidArgument`` naming ``argument`` when ``path`` is not a str or os.PathLike."""
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(
            f"{argument} must be a path (str or os.PathLike), not {type(path).__name__}"
        )


def _default_key(file_path: str | os.PathLike[str]) -> str:
    key = os.fspath(file_path)
    while key.startswith("./"):
        key = key[2:]
    return key.lstrip("/")


def _tell(data: Data) -> int | None:
    """A seekable stream's position (a replay rewinds it there), else None."""
    if isinstance(data, (bytes, bytearray, memoryview, str)):
        return None
    try:
        return int(data.tell()) if data.seekable() else None
    except Exception:
        return None


__all__ = ["Bucket", "PrefixInfo"]
