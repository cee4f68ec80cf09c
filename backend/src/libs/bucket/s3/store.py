"""``S3Store``: the ``ObjectStore`` protocol over one boto3 S3 client.

Raises ``StorageError`` subclasses (never return codes). One client per store, made
lazily under a lock on first use and shared by every thread; ``close()`` drops it and
the next call makes a new one. Retries are botocore's own (``max_retries``,
``retry_mode``); nothing here loops on top of them. boto3 is imported on first use,
so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar, cast
from urllib.parse import urlsplit

from backend.src.libs.bucket.base.config import (
    SSE_ALGORITHMS,
    BucketConfig,
)
from backend.src.libs.bucket.base.errors import (
    AlreadyExists,
    AuthenticationFailed,
    BucketNotEmpty,
    BucketNotFound,
    Conflict,
    InvalidArgument,
    NotFound,
    NotSupported,
    ObjectNotFound,
    PermissionDenied,
    StorageError,
)
from backend.src.libs.bucket.base.files import (
    atomic_file,
    guess_content_type,
    readable_file,
    remaining_size,
    writable_target,
)
from backend.src.libs.bucket.base.options import (
    NO_OPTIONS,
    TRANSFER_OPTION_NAMES,
    WRITE_OPTION_NAMES,
    SseC,
    WriteOptions,
)
from backend.src.libs.bucket.base.planner import Scope, move_verified
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
    UploadResult,
)
from backend.src.libs.bucket.base.validation import (
    check_bucket_name,
    check_listing,
    check_metadata,
    check_range,
    range_header,
)
from backend.src.libs.bucket.s3 import deadline, listing_xml, presign, signed_head, sigv4
from backend.src.libs.bucket.s3 import transfer as _transfer
from backend.src.libs.bucket.s3.admin import (
    EnsureReport,
    EnsureStep,
    LifecycleRule,
    S3BucketFeatures,
    default_lifecycle,
    run_step,
)
from backend.src.libs.bucket.s3.args import WriteArgs, s3_write_args, sse_c_args
from backend.src.libs.bucket.s3.connection import S3Connection
from backend.src.libs.bucket.s3.errors import EngineError, translate
from backend.src.libs.bucket.s3.obstore import (
    ObstorePlane,
    ObstoreWrite,
    Opened,
    downloads,
    get_window,
    key_ok,
    large_writes,
    reads,
    writes,
)
from backend.src.libs.bucket.s3.transfer import (
    CountingReader,
    Transfers,
    TransferSettings,
    ranged_download,
    read_ahead,
    spool,
)

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from types_boto3_s3.client import S3Client
    from types_boto3_s3.literals import BucketLocationConstraintType
    from types_boto3_s3.type_defs import (
        CopyObjectRequestTypeDef,
        CreateBucketRequestTypeDef,
        DeleteMarkerEntryTypeDef,
        DeleteObjectRequestTypeDef,
        GetObjectOutputTypeDef,
        GetObjectRequestTypeDef,
        HeadObjectOutputTypeDef,
        ListObjectsV2OutputTypeDef,
        ListObjectsV2RequestTypeDef,
        ObjectVersionTypeDef,
    )

log = logging.getLogger("bucket.s3")

BATCH_DELETE_LIMIT = 1000
# S3 error codes by which a server refuses a batch delete for its checksum header
_BATCH_CHECKSUM_REFUSALS = frozenset(
    {
        "MissingContentMD5",
        "InvalidDigest",
        "BadDigest",
        "XAmzContentSHA256Mismatch",
        "NotImplemented",
    }
)
# characters XML 1.0 cannot carry, even escaped: keys holding them cannot go in a batch delete
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

_READ_OPTIONS = frozenset({"version_id", "sse_customer_key"})
# the codes of a 400 answered to a read of an SSE-C object without its key
_BAD_REQUEST = frozenset({"400", "InvalidArgument", "InvalidRequest", "BadRequest"})


class S3Store(S3BucketFeatures):
    """The ``ObjectStore`` protocol on S3, MinIO, Ceph RGW, SeaweedFS and AWS.

    Beyond the protocol it offers the S3-only features: per-object encryption, storage
    class, tags, write-once puts and object lock (the ``WriteOptions`` of ``put_object``
    and ``upload_file``), versions (``version_id=`` on reads and deletes), presigning, and
    the bucket features of ``S3BucketFeatures`` (versioning, default encryption,
    lifecycle, tagging, object lock, info, stats).

    Args:
        config: validated settings (``BucketConfig.from_env()`` by default).
        client: a ready boto3 S3 client to use instead of building one (tests).
        sts_client: the STS client used for ``role_arn`` (tests pass a stubbed one).

    Thread-safety: one instance may be shared by any number of threads.
    """

    options_supported: ClassVar[Mapping[str, frozenset[str]]] = {
        "put_object": WRITE_OPTION_NAMES,
        "upload_file": WRITE_OPTION_NAMES,
        "get_object": _READ_OPTIONS,
        "open_object": _READ_OPTIONS,
        "head_object": _READ_OPTIONS,
        "download_file": _READ_OPTIONS | TRANSFER_OPTION_NAMES,
        "delete_object": frozenset({"version_id", "bypass_governance"}),
    }
    """The keyword options each operation takes beyond ``ObjectStore`` (``DeclaresOptions``)."""

    def __init__(
        self,
        config: BucketConfig | None = None,
        *,
        client: S3Client | None = None,
        sts_client: object = None,
    ) -> None:
        self._conn = S3Connection(
            config if config is not None else BucketConfig.from_env(),
            client=client,
            sts_client=sts_client,
        )
        self.config = self._conn.config
        self._batch_delete_ok = True
        self._write_once: Counter[tuple[str, str]] = Counter()
        self._write_once_lock = threading.Lock()
        self._transfers = Transfers(lambda: self.client, self.config)

    @property
    def location(self) -> StoreLocation:
        """The endpoint (``aws:<region>`` without one) and key prefix of this store."""
        endpoint = self.config.endpoint_url
        place = endpoint.rstrip("/").lower() if endpoint else f"aws:{self.config.region}"
        return StoreLocation("s3", place, self._conn.prefix)

    @property
    def engine(self) -> str:
        """``"obstore"`` when small objects go through obstore, else ``"boto3"``."""
        return self._conn.engine

    @property
    def lists_in_byte_order(self) -> bool:
        """True for AWS S3 only: other servers are not trusted to list in byte order
        (SeaweedFS lists in folder-tree order), so ``sync`` sorts their listings."""
        return self.config.is_aws

    # ------------------------------------------------------------ connection
    @property
    def client(self) -> S3Client:
        """The boto3 S3 client, built on first use (thread-safe; ``S3Connection``)."""
        return self._conn.client

    def close(self) -> None:
        """Drop the client, its connections and its transfer managers (running uploads
        finish on the old ones); the next call builds new ones. Idempotent."""
        self._transfers.close()
        self._conn.close()

    def ping(self) -> float:
        """One request (HeadBucket on the default bucket, else ListBuckets); returns seconds.

        Raises:
            StorageError: the server cannot be reached or refuses the credentials.
        """
        return self._conn.ping()

    @property
    def batch_delete_supported(self) -> bool:
        """False once the server refused a batch delete for its checksum header (older
        MinIO and Ceph): this store then deletes key by key."""
        return self._batch_delete_ok

    # -------------------------------------------------------------- buckets
    def list_buckets(self) -> list[BucketInfo]:
        """Every bucket visible to these credentials, in the server's order."""
        with self._conn.translating("list_buckets"):
            response = self.client.list_buckets()
        return [
            BucketInfo(name=b["Name"], created=b.get("CreationDate"))
            for b in response.get("Buckets", [])
        ]

    def create_bucket(
        self, bucket: str, *, exist_ok: bool = True, object_lock: bool = False
    ) -> None:
        """Create ``bucket`` in the configured region.

        ``us-east-1`` takes no ``LocationConstraint``; every other region does. With
        ``exist_ok`` (the default) creating a bucket you already own succeeds, as it does
        on AWS us-east-1 and Ceph; ``exist_ok=False`` checks first (one more request).

        Raises:
            InvalidArgument: the name breaks a naming rule (no request is made).
            AlreadyExists: someone else owns the name, or you do and ``exist_ok`` is False.
        """
        check_bucket_name(bucket)
        if not exist_ok and self.bucket_exists(bucket):
            raise AlreadyExists(
                "create_bucket failed: the bucket already exists",
                code="BucketAlreadyOwnedByYou",
                bucket=bucket,
                status=409,
            )
        try:
            self._create_bucket(bucket, object_lock=object_lock)
        except AlreadyExists as exc:
            if not (exist_ok and exc.code == "BucketAlreadyOwnedByYou"):
                raise

    def _create_bucket(self, bucket: str, *, object_lock: bool) -> None:
        """One CreateBucket; ``AlreadyExists`` for a bucket already yours too."""
        kwargs: CreateBucketRequestTypeDef = {"Bucket": bucket}
        if object_lock:
            kwargs["ObjectLockEnabledForBucket"] = True  # also turns versioning on
        if self.config.region != "us-east-1":
            # any region name the server knows (Ceph zonegroups too), not only AWS's
            region = cast("BucketLocationConstraintType", self.config.region)
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with self._conn.translating("create_bucket", bucket):
            self.client.create_bucket(**kwargs)
        log.debug("created bucket %s", bucket)

    def bucket_exists(self, bucket: str) -> bool:
        """True if the bucket exists; False on 404.

        Raises:
            PermissionDenied: the bucket exists but these credentials may not use it.
            ConnectionFailed: the server cannot be reached.
        """
        check_bucket_name(bucket)
        try:
            with self._conn.translating("bucket_exists", bucket):
                self.client.head_bucket(Bucket=bucket)
        except NotFound:
            return False
        return True

    def delete_bucket(self, bucket: str, *, force: bool = False) -> BucketDeletion:
        """Delete ``bucket``; or, for a store with a key prefix, empty the prefix.

        A store with a key prefix (``BUCKET_PREFIX``) shares the bucket with the other
        prefixes: it never deletes the bucket (``bucket_deleted`` False in the result),
        and ``force`` empties its prefix only.

        Args:
            force: first delete every object, every version and delete marker, and abort
                every incomplete multipart upload (default False); only keys under the
                store's prefix, each page checked by the planner before its request.

        Returns:
            ``BucketDeletion``: whether the bucket was deleted, the objects (versions and
            delete markers) deleted and the uploads aborted.

        Raises:
            BucketNotEmpty: the bucket (the prefix, for a store with one) holds objects
                and ``force`` is False.
            BucketNotFound: no such bucket.
            OutOfScope: the server listed a key outside the prefix (that page is not
                sent; nothing outside the prefix is ever deleted).
            StorageError: with a prefix, a version could not be deleted (the others were).
        """
        check_bucket_name(bucket)
        if self._conn.prefix:
            return self._empty_prefix(bucket, force=force)
        deleted, aborted = self._empty(bucket, raise_failures=False) if force else (0, 0)
        with self._conn.translating("delete_bucket", bucket):
            self.client.delete_bucket(Bucket=bucket)
        log.debug("deleted bucket %s", bucket)
        return BucketDeletion(bucket, "", True, objects_deleted=deleted, uploads_aborted=aborted)

    def _empty_prefix(self, bucket: str, *, force: bool) -> BucketDeletion:
        """``delete_bucket`` with a key prefix: empty it (``force``), keep the bucket."""
        prefix = self._conn.prefix
        if not force:
            if next(self.list_objects(bucket, max_keys=1), None) is not None:
                raise BucketNotEmpty(
                    f"delete_bucket failed: {prefix} holds objects (use force=True to delete "
                    "them; the bucket is shared with other prefixes and is kept)",
                    bucket=bucket,
                    status=409,
                )
            return BucketDeletion(bucket, prefix, bucket_deleted=False)
        deleted, aborted = self._empty(bucket, raise_failures=True)
        log.debug("emptied %s of bucket %s (%d versions); bucket kept", prefix, bucket, deleted)
        return BucketDeletion(bucket, prefix, False, deleted, aborted)

    def _empty(self, bucket: str, *, raise_failures: bool) -> tuple[int, int]:
        """``delete_bucket``'s ``force``: returns ``(versions deleted, uploads aborted)``;
        ``raise_failures``: a version not deleted raises ``StorageError``."""
        client, prefix = self.client, self._conn.prefix
        scope = Scope(bucket, prefix)
        aborted = deleted = 0
        failed: list[DeleteError] = []
        with self._conn.translating("delete_bucket", bucket):
            uploads = client.get_paginator("list_multipart_uploads")
            for page in uploads.paginate(Bucket=bucket, Prefix=prefix):
                listed = page.get("Uploads", [])
                scope.refuse_outside((u["Key"] for u in listed), operation="delete_bucket")
                for upload in listed:
                    client.abort_multipart_upload(
                        Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
            versions = client.get_paginator("list_object_versions")
            for version_page in versions.paginate(Bucket=bucket, Prefix=prefix):
                entries: list[ObjectVersionTypeDef | DeleteMarkerEntryTypeDef] = [
                    *version_page.get("Versions", []),
                    *version_page.get("DeleteMarkers", []),
                ]
                scope.refuse_outside((v["Key"] for v in entries), operation="delete_bucket")
                targets = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in entries]
                done, failures = self._delete_batch(bucket, targets)
                deleted += len(done)
                failed.extend(failures)
        if failed and raise_failures:
            raise StorageError(
                f"delete_bucket failed: {len(failed)} version(s) under {prefix} not deleted "
                f"(first: {failed[0].key}: {failed[0].code}: {failed[0].message}); the "
                "bucket is kept",
                code=failed[0].code,
                bucket=bucket,
                key=self._conn.unprefix(failed[0].key),
            )
        return deleted, aborted

    # -------------------------------------------------------------- objects
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
        """Store ``data`` under ``key``.

        Bytes and text (UTF-8) go up in one PUT. A binary stream goes up in one PUT when
        it is seekable and smaller than the multipart threshold, else as a multipart
        upload (any length, even unknown), aborted on failure.

        Args:
            options: content type (default: guessed from the key's extension),
                metadata, storage class (default ``BUCKET_STORAGE_CLASS``), tags,
                encryption (default ``BUCKET_SSE*``, see ``options.encryption_in_force``),
                object lock and the put mode; default: ``WriteOptions()``.
                ``mode="create"`` is write-once, checked atomically by the server on the
                request that creates the object. Above the multipart threshold only AWS
                S3 is trusted to check it on CompleteMultipartUpload; elsewhere the body
                goes up as one conditional PUT (a stream of unknown length spooled
                first), so at most 5 GiB (``transfer.MAX_SINGLE_PUT``).
            progress: ``progress(bytes_done, bytes_total)``.
            transfer: this call's multipart settings (default: the store's).

        Raises:
            InvalidArgument: bad bucket name, key or data type.
            AlreadyExists: ``mode="create"`` and the key exists.
            NotSupported: ``mode="create"`` with a stream above 5 GiB on a server other
                than AWS S3 (nothing is written).
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        options = options if options is not None else NO_OPTIONS
        extra = s3_write_args(options, self.config, key=key)
        write_once = options.write_once
        if isinstance(data, str):
            data = data.encode("utf-8")
        if isinstance(data, (bytes, bytearray, memoryview)):
            body = bytes(data)
            return self._put_small(bucket, key, full, body, len(body), extra, progress, write_once)
        if not hasattr(data, "read"):
            raise InvalidArgument(
                f"data must be bytes, str or a binary stream, not {type(data).__name__}",
                bucket=bucket,
                key=key,
            )
        size = remaining_size(data)
        settings = transfer if transfer is not None else TransferSettings()
        if size is not None and size < settings.threshold(self.config):
            return self._put_small(bucket, key, full, data, size, extra, progress, write_once)
        up = _Upload("put_object", bucket, key, full, extra, progress, settings, write_once)
        return self._put_large(up, data, size)

    def _put_small(
        self,
        bucket: str,
        key: str,
        full: str,
        body: bytes | IO[bytes],
        size: int,
        extra: WriteArgs,
        progress: ProgressCallback | None,
        write_once: bool = False,
        operation: str = "put_object",
    ) -> UploadResult:
        """One PUT of ``body`` (``size`` bytes) on its route; errors name ``operation``."""
        if progress:
            progress(0, size)
        route = self._put_route(full, extra, size)
        with (
            _write_once_conflict(write_once, bucket, key),
            self._conn.translating(operation, bucket, key),
        ):
            if route is not None:
                plane, form = route
                data = body if isinstance(body, bytes) else body.read()
                sent = plane.put(bucket, full, data, form, create=write_once)
                etag, version_id = sent.etag, sent.version_id
            else:
                args = {**extra, "IfNoneMatch": "*"} if write_once else extra
                response = self.client.put_object(Bucket=bucket, Key=full, Body=body, **args)
                etag, version_id = response.get("ETag"), response.get("VersionId")
        if progress:
            progress(size, size)
        return _sent(bucket, key, size, etag, version_id)

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
        """Upload the file at ``path``: one PUT below the multipart threshold, else a
        parallel multipart upload (aborted on failure).

        ``options``, ``progress`` and ``transfer`` are those of ``put_object``.

        Raises:
            InvalidArgument: ``path`` is missing, unreadable or not a regular file.
            AlreadyExists: ``mode="create"`` and the key exists.
            NotSupported: ``mode="create"`` with a file above 5 GiB on a server other
                than AWS S3 (refused before any request).
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        source = readable_file(path)
        size = source.stat().st_size
        options = options if options is not None else NO_OPTIONS
        settings = transfer if transfer is not None else TransferSettings()
        extra = s3_write_args(options, self.config, key=key)
        write_once = options.write_once
        if size < settings.threshold(self.config):
            with source.open("rb") as handle:
                return self._put_small(
                    bucket, key, full, handle, size, extra, progress, write_once, "upload_file"
                )
        up = _Upload("upload_file", bucket, key, full, extra, progress, settings, write_once)
        return self._put_large(up, source, size)

    def _put_large(self, up: _Upload, source: IO[bytes] | Path, size: int | None) -> UploadResult:
        """A stream (``size`` None: unknown length) or a file at or above the multipart
        threshold: a multipart upload on obstore's plane when ``key_ok`` and
        ``large_writes`` allow it, else s3transfer's (``_upload_once`` when write-once)."""
        plane = self._route(up.full)
        form = large_writes(up.extra, write_once=up.write_once) if plane is not None else None
        if plane is not None and form is not None:
            opened = (
                source.open("rb") if isinstance(source, Path) else contextlib.nullcontext(source)
            )
            with opened as stream:
                return self._multipart_obstore(up, plane, form, stream, size)
        body = str(source) if isinstance(source, Path) else source
        if up.write_once:
            return self._upload_once(up, body, size)
        return self._transfer(up, body, size)

    def _transfer(self, up: _Upload, source: str | IO[bytes], size: int | None) -> UploadResult:
        """An upload by s3transfer (write-once: its CompleteMultipartUpload carries
        ``If-None-Match: *``, see ``_maybe_write_once``)."""
        with (
            _write_once_conflict(up.write_once, up.bucket, up.key),
            self._conn.translating(up.operation, up.bucket, up.key),
            self._maybe_write_once(up.bucket, up.full, up.write_once),
        ):
            sent = self._transfers.upload(
                source,
                up.bucket,
                up.full,
                extra_args=dict(up.extra),
                size=size,
                progress=up.progress,
                settings=up.settings,
            )
        total = size if size is not None else sent.size
        return _sent(up.bucket, up.key, total, sent.etag, sent.version_id)

    def _multipart_obstore(
        self,
        up: _Upload,
        plane: ObstorePlane,
        form: ObstoreWrite,
        stream: IO[bytes],
        size: int | None,
    ) -> UploadResult:
        """A multipart upload of ``stream`` on the obstore plane: parts of the part size in
        force (raised so that a known size fits in ``transfer.MAX_PARTS``), the
        concurrency in force, aborted by obstore on failure. ``progress(0, size)`` comes
        before any request, then after every read of ``stream``. An exception of
        ``stream`` or ``progress`` is raised as itself (translated as on the boto3
        route), after the abort."""
        part_size = up.settings.chunk(self.config)
        if size is not None:
            part_size = max(part_size, -(-size // _transfer.MAX_PARTS))
        if up.progress:
            up.progress(0, size)
        reader = CountingReader(stream, size, up.progress)
        with self._conn.translating(up.operation, up.bucket, up.key):
            try:
                sent = plane.put_multipart(
                    up.bucket,
                    up.full,
                    reader.chunks(),
                    form,
                    part_size=part_size,
                    concurrency=up.settings.concurrency(self.config),
                )
            except EngineError:
                if reader.error is not None:
                    raise reader.error from None
                raise
        total = size if size is not None else reader.done
        return _sent(up.bucket, up.key, total, sent.etag, sent.version_id)

    def get_object(
        self,
        bucket: str,
        key: str,
        *,
        start: int | None = None,
        end: int | None = None,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> bytes:
        """The object's bytes, or the inclusive byte range ``start..end`` of them.

        Args:
            version_id: read this version (default: the latest).
            sse_customer_key: the SSE-C key the object was written with (default
                ``BUCKET_SSE_CUSTOMER_KEY``).

        Raises:
            ObjectNotFound, BucketNotFound: nothing there.
            InvalidArgument: a negative or reversed range, or a ``start`` past the end
                (an ``end`` past the end is clamped to the last byte); an SSE-C
                object read without its key (or with another key).
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        check_range(start, end)
        kwargs = self._read_request(bucket, full, version_id, sse_customer_key)
        route = self._get_route(kwargs, start, end)
        if route is not None:
            plane, window = route
            with _sse_c_hint(bucket, key), self._conn.translating("get_object", bucket, key):
                got = plane.get(bucket, full, window)
            if got is not None:
                return got
        header = range_header(start, end)
        if header:
            kwargs["Range"] = header
        with _sse_c_hint(bucket, key), self._conn.translating("get_object", bucket, key):
            response = self.client.get_object(**kwargs)
            return b"".join(self._body_chunks(response, kwargs, first=start or 0, end=end))

    def _body_chunks(
        self,
        response: GetObjectOutputTypeDef,
        request: GetObjectRequestTypeDef,
        *,
        first: int,
        end: int | None,
    ) -> Iterator[bytes]:
        """Yield the body of ``response`` (to ``request``) in 1 MiB chunks, and close it.

        botocore retries a request, not a body it has handed over: when the connection
        drops mid-body, the rest is asked for (a ranged GET from ``first`` + the bytes
        received to ``end``, pinned to the same ETag with ``If-Match``), at most
        ``max_retries`` times.
        """
        from botocore.exceptions import (
            IncompleteReadError,
            ReadTimeoutError,
            ResponseStreamingError,
        )
        from urllib3.exceptions import ProtocolError
        from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

        dropped = (
            IncompleteReadError,
            ReadTimeoutError,
            ResponseStreamingError,
            ProtocolError,
            Urllib3ReadTimeout,
            ConnectionError,
        )
        etag = response.get("ETag")
        body = response["Body"]
        received = 0
        resumes = 0
        try:
            while True:
                try:
                    while chunk := body.read(1024 * 1024):
                        received += len(chunk)
                        yield chunk
                    return
                except dropped:
                    if etag is None or resumes >= self.config.max_retries:
                        raise
                resumes += 1
                log.debug("body dropped after %d bytes; resuming (%d)", received, resumes)
                tail = f"bytes={first + received}-{'' if end is None else end}"
                body.close()
                rest: GetObjectRequestTypeDef = {**request, "Range": tail, "IfMatch": etag}
                body = self.client.get_object(**rest)["Body"]
        finally:
            body.close()

    def open_object(
        self,
        bucket: str,
        key: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> IO[bytes]:
        """A readable binary stream of the object (botocore's ``StreamingBody``).

        The caller reads and closes it; nothing is buffered beyond what is read.
        ``version_id`` and ``sse_customer_key`` as in ``get_object``.
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        request = self._read_request(bucket, full, version_id, sse_customer_key)
        with _sse_c_hint(bucket, key), self._conn.translating("open_object", bucket, key):
            body = self.client.get_object(**request)["Body"]
        return cast(IO[bytes], _TranslatingStream(body, self._conn, bucket, key))

    def download_file(
        self,
        bucket: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
        multipart_threshold: int | None = None,
        part_size: int | None = None,
        max_concurrency: int | None = None,
    ) -> int:
        """Download to ``path``; the file appears whole or not at all.

        ``version_id`` and ``sse_customer_key`` as in ``get_object``;
        ``multipart_threshold``, ``part_size`` and ``max_concurrency`` override the
        store's ranged-download settings for this call.

        One GET below ``multipart_threshold``, above it parallel ranged GETs, into a
        temporary file beside ``path``, fsynced, then renamed. An existing file keeps its
        permission bits; a new one gets ``0o666`` less the umask.

        Returns:
            The number of bytes written.

        Raises:
            InvalidArgument: ``path`` is a folder, its file name is over 255 bytes (code
                ``NameTooLong``), or its folder is missing or not writable.
            ObjectNotFound, BucketNotFound: nothing to download.
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        target = writable_target(path)
        settings = TransferSettings(multipart_threshold, part_size, max_concurrency)
        request = self._read_request(bucket, full, version_id, sse_customer_key)
        plane = self._route(full)
        if plane is not None and downloads(request):
            return self._download_obstore(
                plane, bucket, key, full, target, version_id, settings, progress
            )
        threshold = settings.threshold(self.config)
        with _sse_c_hint(bucket, key), self._conn.translating("download_file", bucket, key):
            try:
                head: GetObjectRequestTypeDef = {**request, "Range": f"bytes=0-{threshold - 1}"}
                response = self.client.get_object(**head)
            except Exception as exc:  # an empty object has no byte 0: S3 answers 416
                if translate(exc).code != "InvalidRange":
                    raise
                response = self.client.get_object(**request)
            size = _total_size(response)
            if version_id is None and response.get("VersionId"):
                request["VersionId"] = response["VersionId"]  # every part from this version
            if progress:
                progress(0, size)
            with atomic_file(target) as fd:
                ranged_download(
                    fd,
                    response,
                    size,
                    fetch=lambda start, end: self.client.get_object(
                        **_pinned(request, response, f"bytes={start}-{end}")
                    ),
                    # (a resumed body is pinned to its own answer's ETag by _body_chunks)
                    chunks=lambda resp, start, end: self._body_chunks(
                        resp, request, first=start, end=end
                    ),
                    part_size=settings.chunk(self.config),
                    concurrency=settings.concurrency(self.config),
                    progress=progress,
                )
        return size

    def _download_obstore(
        self,
        plane: ObstorePlane,
        bucket: str,
        key: str,
        full: str,
        target: Path,
        version_id: str | None,
        settings: TransferSettings,
        progress: ProgressCallback | None,
    ) -> int:
        """``download_file`` on the obstore plane, as on boto3's route: parts pinned to
        the first answer's ETag and version, each body resumed where it dropped
        (``ObstorePlane.body``); every request on the store sized for ``max(threshold,
        part size)``."""
        threshold = settings.threshold(self.config)
        part_size = settings.chunk(self.config)
        store_bytes = max(threshold, part_size)
        with _sse_c_hint(bucket, key), self._conn.translating("download_file", bucket, key):
            first = plane.open_first(
                bucket, full, threshold, version=version_id, store_bytes=store_bytes
            )
            size = first.size
            version = version_id or first.version_id  # every part from this version
            if progress:
                progress(0, size)

            def fetch(start: int, end: int) -> Opened:
                return plane.open_range(
                    bucket,
                    full,
                    start,
                    end + 1,
                    store_bytes=store_bytes,
                    if_match=first.etag,
                    version=version,
                )

            def chunks(opened: Opened, start: int, end: int | None) -> Iterator[bytes]:
                return plane.body(opened, bucket, full, store_bytes=store_bytes, version=version)

            with atomic_file(target) as fd:
                ranged_download(
                    fd,
                    first,
                    size,
                    fetch=fetch,
                    chunks=chunks,
                    part_size=part_size,
                    concurrency=settings.concurrency(self.config),
                    progress=progress,
                    received=first.stop - first.start,
                )
        return size

    def head_object(
        self,
        bucket: str,
        key: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> ObjectInfo:
        """The object's size, ETag, dates, content type, storage class and user metadata.

        ``version_id`` and ``sse_customer_key`` as in ``get_object``.

        Raises:
            ObjectNotFound: no such key (or version).
            BucketNotFound: no such bucket (S3 answers a HEAD of either with a bare
                404, so a 404 costs one HeadBucket more to name what is missing).
        """
        try:
            return self._head(bucket, key, version_id=version_id, sse_customer_key=sse_customer_key)
        except ObjectNotFound as exc:
            if not self.bucket_exists(bucket):
                raise BucketNotFound(
                    "head_object failed: the bucket does not exist", bucket=bucket, status=404
                ) from exc
            raise

    def _head(
        self,
        bucket: str,
        key: str,
        *,
        version_id: str | None = None,
        sse_customer_key: str | bytes | None = None,
    ) -> ObjectInfo:
        """One HeadObject: ``head_object`` without naming a missing bucket (a bare 404
        is ``ObjectNotFound``)."""
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        request = self._read_request(bucket, full, version_id, sse_customer_key)
        with _sse_c_hint(bucket, key), self._conn.translating("head_object", bucket, key):
            r = self._head_answer(request)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(r.get("ContentLength", 0)),
            etag=_etag(r.get("ETag")),
            last_modified=r.get("LastModified"),
            content_type=r.get("ContentType"),
            metadata=dict(r.get("Metadata", {})),
            storage_class=r.get("StorageClass", "STANDARD"),
            version_id=r.get("VersionId"),
        )

    def object_exists(self, bucket: str, key: str) -> bool:
        """True if ``key`` exists (one HeadObject).

        A missing bucket reads as False too: S3 says so on HEAD only as a bare 404, and
        telling the two apart would cost a second request on every miss.
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        plane = self._head_route(full)
        try:
            if plane is not None:
                with self._conn.translating("object_exists", bucket, key):
                    plane.head(bucket, full)
            else:
                self._head(bucket, key)
        except NotFound:
            return False
        return True

    def delete_object(
        self,
        bucket: str,
        key: str,
        *,
        version_id: str | None = None,
        bypass_governance: bool = False,
    ) -> None:
        """Delete ``key``; deleting a missing key is not an error (S3's rule).

        Args:
            version_id: delete this version (or delete marker) for good; without it a
                versioned bucket gets a delete marker.
            bypass_governance: delete a version under GOVERNANCE retention.

        Raises:
            PermissionDenied: the version is locked (retention or legal hold).
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket, deleting=True)
        plane = self._delete_route(full, version_id, bypass_governance)
        if plane is not None:
            with self._conn.translating("delete_object", bucket, key):
                plane.delete(bucket, full)
            return
        request: DeleteObjectRequestTypeDef = {"Bucket": bucket, "Key": full}
        if version_id:
            request["VersionId"] = version_id
        if bypass_governance:
            request["BypassGovernanceRetention"] = True
        with self._conn.translating("delete_object", bucket, key):
            self.client.delete_object(**request)

    def delete_objects(self, bucket: str, keys: Iterable[str]) -> DeleteResult:
        """Delete many keys, 1000 a request, reading ``keys`` lazily.

        Falls back to one DELETE a key when the server refuses the batch for its
        checksum header (older MinIO and Ceph), and remembers that for this store.

        Returns:
            ``DeleteResult`` with the keys deleted and, for the others, why not.

        Raises:
            InvalidArgument: a key is invalid (checked before its batch is sent).
            BucketNotFound, PermissionDenied, ConnectionFailed: the batch itself failed.
        """
        check_bucket_name(bucket)
        deleted: list[str] = []
        errors: list[DeleteError] = []
        iterator = iter(keys)
        while True:
            chunk = [
                self._conn.key(k, bucket, "keys", deleting=True)
                for k in itertools.islice(iterator, BATCH_DELETE_LIMIT)
            ]
            if not chunk:
                break
            done, failed = self._delete_batch(bucket, [{"Key": k} for k in chunk])
            deleted.extend(self._conn.unprefix(k) for k in done)
            errors.extend(replace(e, key=self._conn.unprefix(e.key)) for e in failed)
        return DeleteResult(deleted=tuple(deleted), errors=tuple(errors))

    def _delete_batch(
        self, bucket: str, targets: list[dict[str, str]]
    ) -> tuple[list[str], list[DeleteError]]:
        if not targets:
            return [], []
        unsafe = [t for t in targets if _XML_ILLEGAL.search(t["Key"])]
        if unsafe:
            # a DeleteObjects body cannot carry these characters (the server answers 400):
            # such keys go one DELETE each, the others still in one batch
            safe = [t for t in targets if not _XML_ILLEGAL.search(t["Key"])]
            done, failed = self._delete_batch(bucket, safe)
            done_each, failed_each = self._delete_each(bucket, unsafe)
            return done + done_each, failed + failed_each
        if self._batch_delete_ok:
            try:
                with self._conn.translating("delete_objects", bucket):
                    response = self.client.delete_objects(
                        Bucket=bucket,
                        Delete={"Objects": targets, "Quiet": True},  # type: ignore[typeddict-item]
                    )
            except StorageError as exc:
                if exc.code not in _BATCH_CHECKSUM_REFUSALS:
                    raise
                log.warning(
                    "server refused a batch delete (%s); deleting key by key from now on", exc.code
                )
                self._batch_delete_ok = False
            else:
                failed = [
                    DeleteError(
                        key=e.get("Key", ""), code=e.get("Code", ""), message=e.get("Message", "")
                    )
                    for e in response.get("Errors", [])
                ]
                failed_keys = {e.key for e in failed}
                return [t["Key"] for t in targets if t["Key"] not in failed_keys], failed
        return self._delete_each(bucket, targets)

    def _delete_each(
        self, bucket: str, targets: list[dict[str, str]]
    ) -> tuple[list[str], list[DeleteError]]:
        deleted: list[str] = []
        failures: list[DeleteError] = []
        for target in targets:
            try:
                with self._conn.translating("delete_object", bucket, target["Key"]):
                    self.client.delete_object(Bucket=bucket, **target)  # type: ignore[arg-type]
            except StorageError as exc:
                if exc.code == "NoSuchBucket" or exc.status is None:
                    raise
                failures.append(DeleteError(key=target["Key"], code=exc.code, message=exc.message))
            else:
                deleted.append(target["Key"])
        return deleted, failures

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
        """Yield ``ObjectInfo`` (and ``PrefixInfo`` with a delimiter) in key order.

        Follows continuation tokens one page at a time: memory stays flat whatever the
        bucket's size. ``max_keys`` caps the total number of entries yielded.

        Raises:
            BucketNotFound: no such bucket (raised on the first ``next()``).
            InvalidArgument: ``page_size`` outside 1..1000 or ``max_keys`` < 0.
        """
        check_bucket_name(bucket)
        check_listing(
            prefix=prefix, page_size=page_size, max_keys=max_keys, start_after=start_after
        )
        return self._list(bucket, prefix, delimiter, max_keys, start_after, page_size)

    def _list(
        self,
        bucket: str,
        prefix: str,
        delimiter: str | None,
        max_keys: int | None,
        start_after: str | None,
        page_size: int,
    ) -> Iterator[ListEntry]:
        """The pages of one listing: page n+1 is asked for (on a thread of this listing)
        as soon as page n has arrived, so the server works while the caller reads. That
        costs one request more when the caller stops early, none when ``max_keys`` says
        where the listing ends.
        """
        from concurrent.futures import Future, ThreadPoolExecutor

        remaining = max_keys
        if remaining is not None and remaining <= 0:
            return
        kwargs: ListObjectsV2RequestTypeDef = {
            "Bucket": bucket,
            "Prefix": self._conn.prefix + prefix,
            "MaxKeys": page_size if remaining is None else min(page_size, remaining),
        }
        if delimiter:
            kwargs["Delimiter"] = delimiter
        if start_after:
            kwargs["StartAfter"] = self._conn.prefix + start_after
        page = self._list_page(bucket, kwargs)
        ahead: Future[listing_xml.Page] | None = None
        pages: ThreadPoolExecutor | None = None
        try:
            while True:
                entries = self._entries(bucket, page, sort=bool(delimiter))
                if remaining is not None:
                    entries = entries[:remaining]
                    remaining -= len(entries)
                if page.truncated and page.token and (remaining is None or remaining > 0):
                    kwargs = {**kwargs, "ContinuationToken": page.token}
                    kwargs.pop("StartAfter", None)
                    kwargs["MaxKeys"] = (
                        page_size if remaining is None else min(page_size, remaining)
                    )
                    pages = pages or ThreadPoolExecutor(1, thread_name_prefix="bucket-list")
                    ahead = pages.submit(self._list_page, bucket, kwargs)
                yield from entries
                if ahead is None:
                    return
                page, ahead = ahead.result(), None
        finally:
            if pages is not None:
                pages.shutdown(wait=False, cancel_futures=True)

    def _list_page(self, bucket: str, kwargs: ListObjectsV2RequestTypeDef) -> listing_xml.Page:
        """One ListObjectsV2 request, read by ``listing_xml`` (any thread)."""
        with self._conn.translating("list_objects", bucket), listing_xml.reading():
            return _page(self.client.list_objects_v2(**kwargs))

    def _entries(self, bucket: str, page: listing_xml.Page, *, sort: bool) -> list[ListEntry]:
        """A page's objects and common prefixes as ``ObjectInfo`` and ``PrefixInfo``, in
        key order (``sort``: merged by UTF-8 bytes, as S3 orders them, when a delimiter
        made two lists)."""
        unprefix = self._conn.unprefix
        objects: list[ListEntry] = [
            ObjectInfo(
                bucket=bucket,
                key=unprefix(o.key),
                size=o.size,
                etag=_etag(o.etag),
                last_modified=o.last_modified,
                storage_class=o.storage_class,
            )
            for o in page.entries
        ]
        if not sort:
            return objects + [PrefixInfo(bucket=bucket, prefix=unprefix(p)) for p in page.prefixes]
        pairs: list[tuple[str, ListEntry]] = [
            (o.key, entry) for o, entry in zip(page.entries, objects, strict=True)
        ]
        pairs.extend((p, PrefixInfo(bucket=bucket, prefix=unprefix(p))) for p in page.prefixes)
        pairs.sort(key=lambda pair: pair[0].encode("utf-8"))
        return [entry for _, entry in pairs]

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
        """Server-side copy. Metadata is copied, or replaced when ``metadata`` or
        ``content_type`` is given (the other one is then kept from the source).

        Raises:
            ObjectNotFound: no source object.
        """
        check_bucket_name(src_bucket, argument="src_bucket")
        check_bucket_name(dst_bucket, argument="dst_bucket")
        src_full = self._conn.key(src_key, src_bucket, "src_key")
        dst_full = self._conn.key(dst_key, dst_bucket, "dst_key")
        kwargs: CopyObjectRequestTypeDef = {
            "Bucket": dst_bucket,
            "Key": dst_full,
            "CopySource": {"Bucket": src_bucket, "Key": src_full},
        }
        if metadata is not None or content_type is not None:
            if metadata is None or content_type is None:
                source = self.head_object(src_bucket, src_key)
                metadata = source.metadata if metadata is None else metadata
                content_type = content_type or source.content_type
            kwargs["MetadataDirective"] = "REPLACE"
            kwargs["Metadata"] = check_metadata(metadata)
            kwargs["ContentType"] = content_type or guess_content_type(dst_key)
        with self._conn.translating("copy_object", dst_bucket, dst_key):
            response = self.client.copy_object(**kwargs)
        etag = response.get("CopyObjectResult", {}).get("ETag")
        return _sent(dst_bucket, dst_key, -1, etag, response.get("VersionId"))

    def move_object(
        self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str
    ) -> UploadResult:
        """Copy the object, then delete the source. The source stays if the copy fails.

        Raises:
            InvalidArgument: source and destination are the same object.
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
        """Replace the user metadata (and the content type if given) by copying the
        object onto itself."""
        return self.copy_object(
            bucket, key, bucket, key, metadata=metadata, content_type=content_type
        )

    # ----------------------------------------- obstore's routes, sync and async
    # A hot call and its async twin (``capabilities.AsyncDataPlane``) ask the same route
    # function, so the two never route differently. ``built``: the plane as it is now,
    # never built here (the async twins run on the event loop).
    def _route(self, full: str, *, built: bool = False) -> ObstorePlane | None:
        """The obstore plane when it may carry a request of ``full`` (``key_ok``)."""
        plane = self._conn.built_plane if built else self._conn.plane
        return plane if plane is not None and key_ok(full) else None

    def _put_route(
        self, full: str, extra: WriteArgs, size: int, *, built: bool = False
    ) -> tuple[ObstorePlane, ObstoreWrite] | None:
        """A PUT of ``size`` bytes with boto3's ``extra``: obstore's plane and form."""
        plane = self._route(full, built=built)
        form = writes(extra, size) if plane is not None else None
        return None if plane is None or form is None else (plane, form)

    def _get_route(
        self,
        request: GetObjectRequestTypeDef,
        start: int | None,
        end: int | None,
        *,
        built: bool = False,
    ) -> tuple[ObstorePlane, tuple[int, int] | None] | None:
        """A GET (``reads``: latest version, no SSE-C key) of a whole small object or a
        closed range of at most ``SMALL_OBJECT`` bytes: obstore's plane and window."""
        plane = self._route(request["Key"], built=built) if reads(request) else None
        window = None if start is None and end is None else get_window(start, end)
        if plane is None or (window is None and (start, end) != (None, None)):
            return None
        return plane, window

    def _head_route(self, full: str, *, built: bool = False) -> ObstorePlane | None:
        """An existence check (no default SSE-C key: obstore cannot send one)."""
        if self.config.sse_customer_key is not None:
            return None
        return self._route(full, built=built)

    def _delete_route(
        self, full: str, version_id: str | None, bypass: bool, *, built: bool = False
    ) -> ObstorePlane | None:
        """A DELETE of the latest version, without a governance bypass."""
        return None if version_id or bypass else self._route(full, built=built)

    def prepare_plane(self) -> None:
        """Build the client and the obstore plane now (AsyncBucket calls it in a worker
        thread after a dropped connection, so the event loop never builds one)."""
        _ = self.client

    async def aput_object(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        options: WriteOptions,
        progress: ProgressCallback | None = None,
    ) -> UploadResult | None:
        """``put_object`` of in-memory ``data`` on the event loop, when its route is
        obstore's; None when it is not (run ``put_object`` in a thread). Raises as
        ``put_object``."""
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        size = len(data)
        route = self._put_route(
            full, s3_write_args(options, self.config, key=key), size, built=True
        )
        if route is None:
            return None
        plane, form = route
        if progress:
            progress(0, size)
        with (
            _write_once_conflict(options.write_once, bucket, key),
            self._conn.translating("put_object", bucket, key),
        ):
            sent = await plane.aput(bucket, full, data, form, create=options.write_once)
        if progress:
            progress(size, size)
        return _sent(bucket, key, size, sent.etag, sent.version_id)

    async def aget_object(
        self, bucket: str, key: str, *, start: int | None = None, end: int | None = None
    ) -> bytes | None:
        """``get_object`` of the latest version on the event loop, when its route is
        obstore's and the object is small; None otherwise (run ``get_object``). Raises as
        ``get_object``."""
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        check_range(start, end)
        route = self._get_route(
            self._read_request(bucket, full, None, None), start, end, built=True
        )
        if route is None:
            return None
        plane, window = route
        with _sse_c_hint(bucket, key), self._conn.translating("get_object", bucket, key):
            return await plane.aget(bucket, full, window)

    async def aobject_exists(self, bucket: str, key: str) -> bool | None:
        """``object_exists`` on the event loop when its route is obstore's; None when it
        is not (run ``object_exists``)."""
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        plane = self._head_route(full, built=True)
        if plane is None:
            return None
        try:
            with self._conn.translating("object_exists", bucket, key):
                await plane.ahead(bucket, full)
        except NotFound:
            return False
        return True

    async def adelete_object(self, bucket: str, key: str) -> bool:
        """``delete_object`` of the latest version on the event loop when its route is
        obstore's; False when it is not (run ``delete_object``), True once deleted. Raises
        as ``delete_object``."""
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket, deleting=True)
        plane = self._delete_route(full, None, False, built=True)
        if plane is None:
            return False
        with self._conn.translating("delete_object", bucket, key):
            await plane.adelete(bucket, full)
        return True

    # -------------------------------------------------------------- helpers
    def _head_answer(self, request: GetObjectRequestTypeDef) -> HeadObjectOutputTypeDef:
        """HeadObject's answer: on the obstore engine a HEAD signed here (``signed_head``,
        retried by botocore's retry handlers) when the request allows it (path-style
        custom endpoint, no SSE-C key, ``key_ok``, not adaptive retries), else botocore's."""
        route = None
        if (
            self._conn.plane is not None
            and "SSECustomerKey" not in request
            and self.config.retry_mode != "adaptive"
            and key_ok(request["Key"])
        ):
            route = self._signed_route()
        if route is None:
            return self.client.head_object(**request)
        sender, credentials = route
        headers = signed_head.head(
            sender,
            credentials,
            self.config.region,
            f"{request['Bucket']}/{request['Key']}",
            version_id=request.get("VersionId"),
            spans=self._conn.spans,
        )
        return cast("HeadObjectOutputTypeDef", signed_head.as_head_object(headers))

    def _signed_route(self) -> tuple[signed_head.Route, sigv4.Credentials] | None:
        """What ``signed_head`` needs, or None when this store's requests cannot be signed
        here."""
        client = self.client
        credentials = self._conn.path_style_credentials(client)
        if credentials is None or not sigv4.signs(client.meta.endpoint_url):
            return None
        access, secret = credentials.access_key, credentials.secret_key
        if not access or not secret:
            return None
        sender = signed_head.route(client)
        if sender is None:
            return None
        return sender, sigv4.Credentials(access, secret, credentials.token)

    def _read_request(
        self, bucket: str, full: str, version_id: str | None, sse_customer_key: str | bytes | None
    ) -> GetObjectRequestTypeDef:
        """The arguments of a read of ``bucket``/``full`` (GetObject and HeadObject take
        the same): the version and the SSE-C key (default ``BUCKET_SSE_CUSTOMER_KEY``)."""
        request: GetObjectRequestTypeDef = {"Bucket": bucket, "Key": full}
        if version_id is not None:
            if not isinstance(version_id, str) or not version_id:
                raise InvalidArgument(f"version_id must be a non-empty string, not {version_id!r}")
            request["VersionId"] = version_id
        customer_key = (
            sse_customer_key if sse_customer_key is not None else self.config.sse_customer_key
        )
        if customer_key is not None:
            sse_c = sse_c_args(SseC(customer_key))
            request["SSECustomerAlgorithm"] = sse_c["SSECustomerAlgorithm"]
            request["SSECustomerKey"] = sse_c["SSECustomerKey"]
        return request

    # ------------------------------------------------------------ write-once
    def _upload_once(self, up: _Upload, source: str | IO[bytes], size: int | None) -> UploadResult:
        """A write-once upload at or above the multipart threshold (``size`` None: a
        stream of unknown length, which is one conditional PUT when it turns out shorter).

        - AWS S3 checks ``If-None-Match: *`` on CompleteMultipartUpload: multipart.
        - Other servers may ignore it there (Ceph RGW 16 completes over the object): one
          conditional PUT of at most ``transfer.MAX_SINGLE_PUT`` bytes, a stream of
          unknown length spooled first; larger bodies raise ``NotSupported``.
        """
        bucket, key, operation = up.bucket, up.key, up.operation
        threshold = up.settings.threshold(self.config)
        if self._multipart_checks_if_none_match():
            if size is None and not isinstance(source, str):
                with self._conn.translating(operation, bucket, key):
                    head, source = read_ahead(source, threshold)
                if len(head) < threshold:
                    return self._put_small(
                        bucket,
                        key,
                        up.full,
                        head,
                        len(head),
                        up.extra,
                        up.progress,
                        True,
                        operation,
                    )
            return self._transfer(up, source, size)
        limit = _transfer.MAX_SINGLE_PUT  # read at call time (tests lower it)
        with contextlib.ExitStack() as cleanup:
            if size is None and not isinstance(source, str):
                with self._conn.translating(operation, bucket, key):
                    source, size = spool(source, memory=threshold, limit=limit)
                cleanup.callback(source.close)
            assert size is not None
            if size > limit:
                raise NotSupported(
                    f"write-once upload of {size} bytes refused: one PUT carries at most "
                    f"5 GiB ({limit} bytes), and above that a write-once upload needs a "
                    "server that checks If-None-Match on CompleteMultipartUpload (AWS S3; "
                    "Ceph RGW ignores it there and would replace the object); nothing "
                    "was written",
                    code="WriteOnceTooLarge",
                    bucket=bucket,
                    key=key,
                )
            with (
                _write_once_conflict(True, bucket, key),
                self._conn.translating(operation, bucket, key),
            ):
                sent = self._transfers.upload_once(
                    source,
                    bucket,
                    up.full,
                    extra_args=dict(up.extra),
                    size=size,
                    progress=up.progress,
                )
        return _sent(bucket, key, size, sent.etag, sent.version_id)

    def _multipart_checks_if_none_match(self) -> bool:
        """True when the client's endpoint is AWS S3's, the one server trusted to check
        ``If-None-Match`` on CompleteMultipartUpload."""
        endpoint = getattr(self.client.meta, "endpoint_url", None) or ""
        host = (urlsplit(str(endpoint)).hostname or "").lower()
        return host == "amazonaws.com" or host.endswith(".amazonaws.com")

    @contextlib.contextmanager
    def _maybe_write_once(self, bucket: str, full: str, write_once: bool) -> Iterator[None]:
        """While a write-once upload of ``bucket``/``full`` runs, its
        CompleteMultipartUpload carries ``If-None-Match: *`` (s3transfer cannot pass it)."""
        if not write_once:
            yield
            return
        with self._write_once_lock:
            # once per (client, store): botocore ignores a unique_id it holds already; the
            # bound handler keeps this store alive, so no other store can reuse its id
            self.client.meta.events.register(
                "before-parameter-build.s3.CompleteMultipartUpload",
                self._add_if_none_match,
                unique_id=f"bucket.store.write-once.{id(self)}",
            )
            self._write_once[(bucket, full)] += 1
        try:
            yield
        finally:
            with self._write_once_lock:
                self._write_once[(bucket, full)] -= 1
                if not self._write_once[(bucket, full)]:
                    del self._write_once[(bucket, full)]

    def _add_if_none_match(self, params: dict[str, object], **kwargs: object) -> None:
        with self._write_once_lock:
            if (params.get("Bucket"), params.get("Key")) in self._write_once:
                params["IfNoneMatch"] = "*"

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
        """A presigned GET or PUT URL, signed for ``public_url`` when it is set. No request.

        Args:
            method: ``"GET"`` (default) or ``"PUT"``.
            expiration: seconds or a timedelta, 1 s .. 7 days (default 3600).
            content_type: PUT only: the ``Content-Type`` the uploader must send.
            version_id: GET only: a given version.
            download_name: GET only: served as ``Content-Disposition: attachment``,
                encoded by ``presign.content_disposition`` (control characters refused).

        Raises:
            InvalidArgument: bad bucket, key, method or expiration (names ``expiration``).
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        params: dict[str, str] = {}
        verb = str(method).upper()
        if content_type is not None:
            if verb != "PUT":
                raise InvalidArgument("content_type applies to PUT URLs only")
            params["ContentType"] = content_type
        if version_id is not None:
            params["VersionId"] = version_id
        if download_name is not None:
            params["ResponseContentDisposition"] = presign.content_disposition(download_name)
        with self._conn.translating("presign_url", bucket, key):
            signer = self._conn.signing_client
            credentials = self._conn.path_style_credentials(signer)
            if credentials is not None:  # signed here: sigv4 (~5 us a URL)
                url = presign.presign_path_style(
                    signer.meta.endpoint_url,
                    credentials,
                    self.config.region,
                    bucket,
                    full,
                    method=verb,
                    expiration=expiration,
                    params=params,
                )
                if url is not None:
                    return url
            plane = self._conn.plane
            if (
                plane is not None
                and not params
                and verb in ("GET", "PUT")
                and not self.config.public_url
                and key_ok(full)
            ):
                seconds = presign.check_expiration(expiration)
                return plane.sign(
                    bucket, full, method="GET" if verb == "GET" else "PUT", seconds=seconds
                )
            return presign.presign_url(
                signer, bucket, full, method=verb, expiration=expiration, params=params
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
    ) -> presign.PresignedPost:
        """A presigned POST form (browser upload) with conditions; no request.

        ``key`` and ``key_prefix`` are relative to the store prefix. See
        ``presign.presign_post`` for the conditions.

        Raises:
            InvalidArgument: bad bucket, key, expiration or conditions.
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        full_prefix = None if key_prefix is None else self._conn.prefix + key_prefix
        with self._conn.translating("presign_post", bucket, key):
            return presign.presign_post(
                self._conn.signing_client,
                bucket,
                full,
                expiration=expiration,
                min_size=min_size,
                max_size=max_size,
                content_type=content_type,
                content_type_prefix=content_type_prefix,
                key_prefix=full_prefix,
                fields=fields,
            )

    # --------------------------------------------------------- ensure bucket
    def ensure_bucket(
        self,
        bucket: str,
        *,
        versioning: bool | None = None,
        encryption: str | None = None,
        lifecycle: list[LifecycleRule] | tuple[LifecycleRule, ...] | bool | None = None,
        object_lock: bool | None = None,
    ) -> EnsureReport:
        """HEAD the bucket; on 404 create it (region rule) and set it up. An existing
        bucket is left as it is.

        A 403 on the HEAD is recorded (``denied``) and not fatal: the credentials may
        use a bucket they cannot see. That 403 costs one ListBuckets
        (``S3Connection.check_denied``): credentials the server refuses make the step
        ``failed`` with their ``AuthenticationFailed``. A bucket another process creates
        meanwhile is ``exists`` (the setup left to the creator). A setting the server
        does not implement (Ceph RGW 16: bucket default encryption) is ``unsupported``
        and the other steps still run.

        Args:
            versioning: enable versioning (default ``BUCKET_CREATE_VERSIONING``, off).
            encryption: default encryption ``AES256``/``aws:kms`` (default
                ``BUCKET_CREATE_ENCRYPTION``, none).
            lifecycle: rules, or True for the settings' policy (default
                ``BUCKET_CREATE_LIFECYCLE``: 30 d STANDARD_IA, 90 d GLACIER, expire 365 d,
                abort incomplete multipart uploads after 7 d), under the key prefix.
            object_lock: create with object lock (default ``BUCKET_CREATE_OBJECT_LOCK``).

        Returns:
            One step per action: ``bucket`` (created / exists / denied / failed), then,
            for a bucket this call created, ``versioning``, ``encryption`` and
            ``lifecycle`` as asked (set / unsupported / failed, with the reason).

        Raises:
            InvalidArgument: invalid name or options (before any request).
        """
        check_bucket_name(bucket)
        cfg = self.config
        versioning = cfg.create_versioning if versioning is None else versioning
        encryption = cfg.create_encryption if encryption is None else encryption
        object_lock = cfg.create_object_lock if object_lock is None else object_lock
        lifecycle = cfg.create_lifecycle if lifecycle is None else lifecycle
        rules = (default_lifecycle(cfg),) if lifecycle is True else tuple(lifecycle or ())
        if encryption is not None and encryption not in SSE_ALGORITHMS:
            raise InvalidArgument(f"encryption must be AES256 or aws:kms, not {encryption!r}")
        first = self._ensure_exists(bucket, object_lock=bool(object_lock))
        steps = [first]
        if first.outcome == "created":
            if versioning and not object_lock:
                steps.append(run_step("versioning", lambda: self.set_versioning(bucket, True)))
            if encryption is not None:
                kms = cfg.sse_kms_key_id if encryption == "aws:kms" else None
                steps.append(
                    run_step(
                        "encryption",
                        lambda: self.set_bucket_encryption(bucket, encryption, kms_key_id=kms),
                    )
                )
            if rules:
                steps.append(run_step("lifecycle", lambda: self.set_lifecycle(bucket, rules)))
        report = EnsureReport(bucket=bucket, steps=tuple(steps))
        for step in report.steps:
            if step.outcome in ("unsupported", "denied", "failed"):
                log.warning(
                    "ensure_bucket %s: %s %s: %s", bucket, step.name, step.outcome, step.reason
                )
        return report

    def _ensure_exists(self, bucket: str, *, object_lock: bool) -> EnsureStep:
        """The ``bucket`` step: HEAD, and on 404 create (racing creators tolerated)."""
        try:
            if self.bucket_exists(bucket):
                return EnsureStep("bucket", "exists")
        except AuthenticationFailed as exc:
            return EnsureStep("bucket", "failed", exc.message, exc)
        except PermissionDenied as exc:
            try:  # a HEAD's 403 does not say whether the credentials were refused
                self._conn.check_denied(exc, "ensure_bucket")
            except StorageError as refused:
                return EnsureStep("bucket", "failed", refused.message, refused)
            return EnsureStep(
                "bucket", "denied", f"HEAD refused (403), going on: {exc.message}", exc
            )
        except StorageError as exc:
            return EnsureStep("bucket", "failed", exc.message, exc)
        try:
            self._create_bucket(bucket, object_lock=object_lock)
        except AlreadyExists as exc:
            if exc.code != "BucketAlreadyOwnedByYou":
                return EnsureStep("bucket", "failed", exc.message, exc)
            return EnsureStep("bucket", "exists", "created meanwhile by another process")
        except StorageError as exc:
            return EnsureStep("bucket", "failed", exc.message, exc)
        return EnsureStep("bucket", "created", "with object lock" if object_lock else "")


@dataclass(frozen=True)
class _Upload:
    """A put or upload at or above the multipart threshold: what ``put_object`` and
    ``upload_file`` hand their large-body routes."""

    operation: str
    bucket: str
    key: str
    full: str
    extra: WriteArgs
    progress: ProgressCallback | None
    settings: TransferSettings
    write_once: bool


class _TranslatingStream:
    """Wraps a ``StreamingBody`` so read errors become ``StorageError`` too."""

    def __init__(self, body: StreamingBody, conn: S3Connection, bucket: str, key: str) -> None:
        self._body = body
        self._conn = conn
        self._bucket = bucket
        self._key = key
        # the body is read at the caller's pace: only the time inside read() counts
        self._connection = deadline.stream_connection(body)
        deadline.release(self._connection)
        self._opened = time.monotonic()

    def read(self, amt: int | None = None) -> bytes:
        read_timeout = self._conn.config.read_timeout
        with (
            self._conn.translating("read", self._bucket, self._key, since=self._opened),
            deadline.reading(self._connection, amt, read_timeout=read_timeout),
        ):
            return self._body.read(amt)

    def iter_chunks(self, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_chunks()

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> _TranslatingStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _page(answer: ListObjectsV2OutputTypeDef) -> listing_xml.Page:
    """A ListObjectsV2 page as ``listing_xml`` read it, or from botocore's own parse (a
    body the hook left alone, or a client handed in without the hook)."""
    fast = cast("Mapping[str, object]", answer).get(listing_xml.FAST_LISTING)
    if isinstance(fast, listing_xml.Page):
        return fast
    return listing_xml.Page(
        entries=tuple(
            listing_xml.Entry(
                key=o["Key"],
                size=int(o.get("Size", 0)),
                etag=o.get("ETag"),
                last_modified=o.get("LastModified"),
                storage_class=o.get("StorageClass"),
            )
            for o in answer.get("Contents", [])
        ),
        prefixes=tuple(p["Prefix"] for p in answer.get("CommonPrefixes", [])),
        truncated=bool(answer.get("IsTruncated")),
        token=answer.get("NextContinuationToken"),
    )


def _sent(
    bucket: str, key: str, size: int, etag: str | None, version_id: str | None
) -> UploadResult:
    """The ``UploadResult`` of a write of ``size`` bytes (quotes stripped from ``etag``)."""
    return UploadResult(bucket=bucket, key=key, size=size, etag=_etag(etag), version_id=version_id)


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else value


def _pinned(
    request: GetObjectRequestTypeDef, response: GetObjectOutputTypeDef, byte_range: str
) -> GetObjectRequestTypeDef:
    """``request`` for ``byte_range``, pinned to ``response``'s ETag (``If-Match``)."""
    return {**request, "Range": byte_range, "IfMatch": response.get("ETag")}


def _total_size(response: GetObjectOutputTypeDef) -> int:
    """The object's size from a (ranged) GET: ``Content-Range``'s total, or the length
    of a 200's body."""
    content_range = response.get("ContentRange")
    if content_range and "/" in content_range:
        total = content_range.rsplit("/", 1)[1]
        if total.isdigit():
            return int(total)
    return int(response["ContentLength"])


@contextlib.contextmanager
def _write_once_conflict(write_once: bool, bucket: str, key: str) -> Iterator[None]:
    """A write-once put refused because the key exists becomes ``AlreadyExists``."""
    try:
        yield
    except Conflict as exc:
        if not write_once or isinstance(exc, AlreadyExists):
            raise
        raise AlreadyExists(
            "write-once put refused: the key already exists (if_none_match='*')",
            code=exc.code,
            bucket=bucket,
            key=key,
            request_id=exc.request_id,
            status=exc.status,
        ) from exc


@contextlib.contextmanager
def _sse_c_hint(bucket: str, key: str) -> Iterator[None]:
    """A 400 on a read is, most of the time, an SSE-C object read without its key: say so."""
    try:
        yield
    except InvalidArgument as exc:
        if exc.status != 400 or exc.code not in _BAD_REQUEST:
            raise
        raise InvalidArgument(
            f"{exc.message} (if the object is encrypted with a customer key (SSE-C), pass "
            "the sse_customer_key it was written with)",
            code=exc.code,
            bucket=bucket,
            key=key,
            request_id=exc.request_id,
            status=exc.status,
        ) from exc


if TYPE_CHECKING:
    from backend.src.libs.bucket.base import capabilities as _capabilities
    from backend.src.libs.bucket.base.store import ObjectStore

    def _has_capabilities(
        store: S3Store,
    ) -> tuple[
        _capabilities.Presigner,
        _capabilities.Versioning,
        _capabilities.BucketEncryption,
        _capabilities.Lifecycle,
        _capabilities.ObjectTagging,
        _capabilities.ObjectLock,
        _capabilities.BucketInspection,
        _capabilities.BatchDeleteStatus,
        _capabilities.Configured,
        _capabilities.DeclaresOptions,
        ObjectStore,
    ]:
        """mypy checks here that ``S3Store`` has each capability's exact signatures."""
        return (store, store, store, store, store, store, store, store, store, store, store)
