"""The fast data plane of ``S3Store``: obstore (Rust) under the hot path, by rule.

botocore spends 2.4-2.7 ms of client CPU on every request (event hooks, signing, endpoint
rules, serialisation); obstore spends 0.2-0.3 ms. ``S3Store`` keeps boto3 as its control
plane and for every request this module cannot carry exactly; what it can carry goes here.
The routing is a typed decision made per call, before the request:

- **keys**: obstore's paths cannot hold a key with an empty segment (``a//b``), a ``.`` or
  ``..`` segment or a control character (it refuses them), and it silently drops a leading
  or trailing ``/`` (``dir/`` would read ``dir``): such keys go to boto3 (``key_ok``);
- **writes**: a body of at most ``SMALL_OBJECT`` bytes whose options obstore can express
  (content type, cache control, storage class, metadata, tags of letters, digits and
  ``_.~-``, write-once). Encryption (per call or by default), object lock, a metadata
  name obstore would read as one of the object's own headers (any of
  ``ATTRIBUTE_ALIASES`` in any case, ``contentencoding`` as well as ``Content-Encoding``:
  ``metadata_ok``), a tag obstore would encode differently (it sends a space as ``+``,
  which Ceph RGW keeps) and larger bodies go to boto3 (``writes``);
- **reads**: GET and DELETE of the latest version without an SSE-C key (``reads``), and
  the HEAD of ``object_exists``; a whole-object GET is dropped after its head when the
  object holds more than ``SMALL_OBJECT`` bytes (boto3 then reads it), a ranged GET is at
  most ``SMALL_OBJECT`` bytes long. ``head_object`` is not obstore's (its HEAD does not
  report the storage class): on this engine it is a HEAD signed here (``signed_head``);
- **presigned GET/PUT URLs** without extra parameters, when no ``public_url`` is set and
  the endpoint is not one ``sigv4`` signs directly (path-style custom endpoints, either
  engine);
- **multipart uploads** (``large_writes``): a body at or above the multipart threshold,
  with the options ``writes`` takes, never write-once (obstore's ``create`` mode buffers
  the whole body), aborted by obstore on failure (``ObstorePlane.put_multipart``);
- **downloads to files** (``downloads``): the latest or a given version without an SSE-C
  key; a first GET, then ranged GETs pinned by ``If-Match`` and the version, each body
  resumed where it dropped (``ObstorePlane.open_first``, ``open_range``, ``body``);
- **not here**: listings (obstore lists ``dir/`` as ``dir`` and fails a whole listing on
  one key it cannot parse), copies (no ETag or version id back), batch deletes (no
  per-key errors), ``open_object``, versions, bucket administration.

Every obstore request has the deadline of ``deadline.attempt_bound`` for the largest body
it may move (obstore's ``timeout``): ``SMALL_OBJECT`` on ``store(bucket)``, ``n`` bytes on
``sized(bucket, n)``; silence is cut by ``read_timeout``, and obstore retries up to
``BUCKET_MAX_RETRIES`` times, as on the boto3 route. Credentials come from the store's
boto3 session (profiles, assumed roles with refresh, instance roles): one chain, one
rotation. obstore's errors become ``StorageError``s in ``s3_errors.translate_obstore``.

What this plane sends is invisible to botocore's events, where test doubles and tracing
look: each request is one OpenTelemetry span of its own (``s3.tracing``, the names
botocore's instrumentation gives), and on ``BUCKET_ENGINE=auto`` the store does not use
the plane while a test double hooks its client (``s3.send_hooks``: moto, ``Stubber``).

obstore is imported on first use. Thread-safety: one plane may be shared by any number of
threads (obstore stores are; the per-bucket map is filled under a lock).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import string
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, urlsplit

from backend.src.libs.bucket.base.errors import ConfigError
from backend.src.libs.bucket.s3 import deadline
from backend.src.libs.bucket.s3.errors import EngineError
from backend.src.libs.bucket.s3.tracing import request as traced

if TYPE_CHECKING:
    from boto3.session import Session
    from obstore import Attributes, GetOptions, GetResult
    from obstore.store import S3Credential
    from obstore.store import S3Store as ObStore

    from backend.src.libs.bucket.base.config import BucketConfig
    from backend.src.libs.bucket.s3.args import WriteArgs
    from backend.src.libs.bucket.s3.tracing import Spans

log = logging.getLogger("bucket.obstore")

Engine = Literal["obstore", "boto3"]

SMALL_OBJECT = 64 * 1024
"""The largest body a request of ``ObstorePlane.store`` carries (its deadline's size)."""

ATTRIBUTE_ALIASES = frozenset(
    {
        "content-disposition",
        "contentdisposition",
        "content-encoding",
        "contentencoding",
        "content-language",
        "contentlanguage",
        "content-type",
        "contenttype",
        "cache-control",
        "cachecontrol",
        "storage-class",
        "storageclass",
    }
)
"""Every key of obstore's ``attributes`` that it sends as the object's own header, once
ASCII-lowercased (``PyAttribute::extract`` in obstore/src/attributes.rs, obstore 0.12). Any
other key is sent as ``x-amz-meta-<key>``, unchanged (``content_type`` is metadata)."""
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_PLAIN_TAG = re.compile(r"[A-Za-z0-9_.~-]*")  # tags obstore's encoding carries unchanged
# WriteArgs keys obstore expresses; any other key (encryption, object lock) goes to boto3
_PLAIN_WRITE_KEYS = frozenset(
    {"ContentType", "Metadata", "CacheControl", "StorageClass", "Tagging"}
)


def choose_engine(config: BucketConfig, *, injected: bool) -> Engine:
    """The engine of a store's data plane: ``BUCKET_ENGINE``, with ``auto`` resolved.

    ``auto`` (the default) is obstore when it is installed and carries the settings
    exactly (``_unsupported``). A client handed in (tests) keeps everything on it.

    Raises:
        ConfigError: ``BUCKET_ENGINE=obstore`` where obstore is not installed or cannot
            carry the settings (the message names them).
    """
    wanted = config.engine
    if wanted == "boto3" or injected:
        return "boto3"
    reason = _unsupported(config)
    if wanted == "obstore" and reason is not None:
        raise ConfigError(f"{config.sources.get('engine', 'BUCKET_ENGINE')}=obstore: {reason}")
    return "boto3" if reason is not None else "obstore"


def _unsupported(config: BucketConfig) -> str | None:
    """Why obstore cannot carry these settings, or None."""
    if importlib.util.find_spec("obstore") is None:
        return "obstore is not installed (a dependency of backend-bucket: pip install obstore)"
    if config.signature_version != "s3v4":
        return "obstore signs with SigV4 only (BUCKET_SIGNATURE_VERSION=s3)"
    if config.endpoint_url is not None and config.effective_addressing_style == "virtual":
        return "obstore cannot address a custom endpoint virtual-hosted (BUCKET_ADDRESSING_STYLE)"
    return None


# what obstore's paths alter or refuse: a leading or trailing '/', an empty segment, a
# '.' or '..' segment, an ASCII control character
_NOT_A_PATH = re.compile(r"^/|/$|//|(?:^|/)\.\.?(?:/|$)|[\x00-\x1f\x7f]")


def key_ok(key: str) -> bool:
    """True when obstore's path for ``key`` is ``key`` itself (see the module doc)."""
    return _NOT_A_PATH.search(key) is None


@dataclass(frozen=True)
class ObstoreWrite:
    """What one obstore put carries beside the body."""

    attributes: Attributes
    tags: dict[str, str]


def writes(args: WriteArgs, size: int) -> ObstoreWrite | None:
    """The obstore form of a write of ``size`` bytes with boto3's ``args``, or None."""
    return None if size > SMALL_OBJECT else _form(args)


def large_writes(args: WriteArgs, *, write_once: bool) -> ObstoreWrite | None:
    """The obstore form of a multipart upload with boto3's ``args``, or None (the options
    ``writes`` refuses, and any write-once upload)."""
    return None if write_once else _form(args)


def _form(args: WriteArgs) -> ObstoreWrite | None:
    """The attributes and tags of a write, or None when obstore cannot send them exactly."""
    if not _PLAIN_WRITE_KEYS.issuperset(args):
        return None
    metadata = args.get("Metadata", {})
    if not metadata_ok(metadata):
        return None
    attributes: Attributes = dict(metadata)
    if "ContentType" in args:
        attributes["Content-Type"] = args["ContentType"]
    if "CacheControl" in args:
        attributes["Cache-Control"] = args["CacheControl"]
    if "StorageClass" in args:
        attributes["Storage-Class"] = args["StorageClass"]
    tags = dict(parse_qsl(args["Tagging"], keep_blank_values=True)) if "Tagging" in args else {}
    if not all(_PLAIN_TAG.fullmatch(text) for pair in tags.items() for text in pair):
        return None  # obstore encodes a space as '+', which Ceph RGW keeps as '+'
    return ObstoreWrite(attributes=attributes, tags=tags)


def is_attribute_name(name: str) -> bool:
    """True when obstore reads ``name``, an ``attributes`` key, as one of the object's own
    headers, not as user metadata (obstore's rule, folding ASCII letters only)."""
    return name.translate(_ASCII_LOWER) in ATTRIBUTE_ALIASES


def metadata_ok(metadata: Mapping[str, str]) -> bool:
    """True when obstore sends every name of ``metadata`` as user metadata (none is an
    attribute alias); else the write is boto3's, every route's one rule."""
    return not any(is_attribute_name(name) for name in metadata)


def get_window(start: int | None, end: int | None) -> tuple[int, int] | None:
    """``(first, stop)``, ``stop`` excluded, of obstore's ranged GET for the inclusive range
    ``start .. end`` (``start`` None: 0); None when boto3 reads it (open or longer than
    ``SMALL_OBJECT``)."""
    if end is None:
        return None
    first = start or 0
    if end - first + 1 > SMALL_OBJECT:
        return None
    return first, end + 1


def reads(request: Mapping[str, object]) -> bool:
    """True when a GetObject/HeadObject request (boto3's arguments) is one obstore makes."""
    return set(request) <= {"Bucket", "Key", "Range"}


def downloads(request: Mapping[str, object]) -> bool:
    """True when a download's GetObject request (before its range) is one obstore makes."""
    return set(request) <= {"Bucket", "Key", "VersionId"}


class _Credentials:
    """obstore's credential provider over a boto3 session: every refresh asks boto3
    (which refreshes assumed roles and instance credentials itself)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __call__(self) -> S3Credential:
        found = self._session.get_credentials()
        if found is None:
            raise ConfigError("no usable credentials for obstore")
        frozen = found.get_frozen_credentials()
        if frozen.access_key is None or frozen.secret_key is None:
            raise ConfigError("no usable credentials for obstore (an access key without secret)")
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            # asked again every 5 minutes: boto3 refreshes what expires (roles, instances)
            "expires_at": datetime.now(UTC) + timedelta(minutes=5),
        }


MAX_SIZED_STORES = 8
"""Sized stores a plane keeps at most (``ObstorePlane.sized``, least recently used dropped)."""


class ObstorePlane:
    """One obstore ``S3Store`` per bucket, built on first use, and stores sized for
    larger bodies (``sized``). Every request is a span when ``spans`` is given.

    Args:
        config: the store's validated settings.
        session: the boto3 session whose credentials obstore uses.
        endpoint: the endpoint boto3 really uses (None: AWS S3 in ``config.region``).
        spans: the store's spans (None: no tracing).
    """

    def __init__(
        self,
        config: BucketConfig,
        session: Session,
        endpoint: str | None,
        *,
        spans: Spans | None = None,
    ) -> None:
        self._config = config
        self._spans = spans
        self._endpoint = endpoint
        self._credentials = _Credentials(session)
        self._stores: dict[str, ObStore] = {}
        self._sized: OrderedDict[tuple[str, int], ObStore] = OrderedDict()
        self._lock = threading.Lock()

    def store(self, bucket: str) -> ObStore:
        """The obstore store of ``bucket`` (built once, thread-safe)."""
        found = self._stores.get(bucket)
        if found is None:
            with self._lock:
                found = self._stores.get(bucket)
                if found is None:
                    found = self._stores[bucket] = self._build(bucket, SMALL_OBJECT)
        return found

    def sized(self, bucket: str, body_bytes: int) -> ObStore:
        """The obstore store of ``bucket`` for requests moving up to ``body_bytes`` bytes:
        the settings of ``store`` with the deadline and retry budget for that size;
        ``store(bucket)`` up to ``SMALL_OBJECT``. Kept per (bucket, size),
        ``MAX_SIZED_STORES`` at most (a dropped store still serves its callers).

        Raises:
            ValueError: ``body_bytes`` is negative.
        """
        if body_bytes < 0:
            raise ValueError(f"body_bytes must be >= 0, not {body_bytes}")
        if body_bytes <= SMALL_OBJECT:
            return self.store(bucket)
        wanted = (bucket, body_bytes)
        with self._lock:
            found = self._sized.get(wanted)
            if found is not None:
                self._sized.move_to_end(wanted)
                return found
        built = self._build(bucket, body_bytes)  # outside the lock: reads a CA file
        with self._lock:
            found = self._sized.setdefault(wanted, built)
            self._sized.move_to_end(wanted)
            while len(self._sized) > MAX_SIZED_STORES:
                self._sized.popitem(last=False)
        return found

    def sized_count(self) -> int:
        """How many sized stores are kept now (for tests and diagnostics)."""
        with self._lock:
            return len(self._sized)

    def _build(self, bucket: str, body_bytes: int) -> ObStore:
        from obstore.store import S3Store as ObStore

        cfg = self._config
        bound = deadline.attempt_bound(cfg.connect_timeout, cfg.read_timeout, body_bytes)
        client: dict[str, object] = {
            "connect_timeout": timedelta(seconds=cfg.connect_timeout),
            "read_timeout": timedelta(seconds=cfg.read_timeout),
            "timeout": timedelta(seconds=bound),
            "pool_max_idle_per_host": str(cfg.pool_size),
            "user_agent": "bucket",
        }
        if self._endpoint and urlsplit(self._endpoint).scheme == "http":
            client["allow_http"] = True
        if cfg.verify_ssl is False:
            client["allow_invalid_certificates"] = True
        elif isinstance(cfg.verify_ssl, str):
            with open(cfg.verify_ssl, "rb") as handle:  # a CA bundle (PEM)
                client["root_certificate"] = handle.read()
        # botocore's policy from the same settings (``deadline.obstore_retry``)
        retry = deadline.obstore_retry(
            cfg.connect_timeout,
            cfg.read_timeout,
            cfg.max_retries,
            body_bytes,
            retry_mode=cfg.retry_mode,
        )
        # one DELETE per delete_object (obstore would send a one-key DeleteObjects, which
        # older MinIO and Ceph refuse without Content-MD5)
        extra: dict[str, object] = {"disable_bulk_delete": True}
        if self._endpoint:
            extra["endpoint"] = self._endpoint
        return ObStore(
            bucket,
            region=cfg.region,
            virtual_hosted_style_request=self._endpoint is None,
            client_options=client,  # type: ignore[arg-type]
            retry_config=retry,
            credential_provider=self._credentials,
            **extra,  # type: ignore[arg-type]
        )

    def close(self) -> None:
        """Drop every bucket's store (and its connections); the next call builds anew."""
        with self._lock:
            self._stores = {}
            self._sized = OrderedDict()

    # -------------------------------------------------------------- requests
    def put(self, bucket: str, key: str, data: bytes, form: ObstoreWrite, *, create: bool) -> Sent:
        """One PUT of ``data`` (``create``: ``If-None-Match: *``); the ETag and version."""
        import obstore

        with traced(self._spans, "PutObject", bucket, key), _wrapped():
            result = obstore.put(
                self.store(bucket),
                key,
                data,
                attributes=form.attributes,
                tags=form.tags or None,
                mode="create" if create else "overwrite",
                use_multipart=False,
            )
        return Sent(etag=result["e_tag"], version_id=result["version"])

    def get(self, bucket: str, key: str, window: tuple[int, int] | None) -> bytes | None:
        """One GET of the bytes ``window`` = ``(start, stop)``, ``stop`` excluded, or of
        the whole object (``window`` None; a plain GET: Ceph RGW answers one ~0.25 ms
        sooner than a ranged GET). None, with the answer dropped after its head and
        unread, when a whole object is larger than ``SMALL_OBJECT``: its body would
        outlive this plane's deadline; boto3 reads it."""
        import obstore

        options: GetOptions = {} if window is None else {"range": window}
        with traced(self._spans, "GetObject", bucket, key), _wrapped():
            result = obstore.get(self.store(bucket), key, options=options)
            if window is None and int(result.meta["size"]) > SMALL_OBJECT:
                return None
            return bytes(result.bytes())

    def put_multipart(
        self,
        bucket: str,
        key: str,
        source: Iterator[bytes],
        form: ObstoreWrite,
        *,
        part_size: int,
        concurrency: int,
    ) -> Sent:
        """A multipart upload of the chunks of ``source`` in parts of ``part_size`` bytes,
        on the store sized for one part; obstore aborts it when a part fails past its
        retries or ``source`` raises.

        Returns:
            The ETag and version id of CompleteMultipartUpload's answer (Ceph RGW answers
            an empty ETag: it is then read by a HEAD of the version created).

        Raises:
            s3_errors.EngineError: obstore's error (an exception ``source`` raised is
                obstore's cause).
        """
        import obstore

        store = self.sized(bucket, part_size)
        with traced(self._spans, "MultipartUpload", bucket, key), _wrapped():
            result = obstore.put(
                store,
                key,
                source,
                attributes=form.attributes,
                tags=form.tags or None,
                use_multipart=True,
                chunk_size=part_size,
                max_concurrency=concurrency,
            )
        etag, version = result["e_tag"] or None, result["version"]
        if etag is None:
            options: GetOptions = {"head": True}
            if version is not None:
                options["version"] = version
            with traced(self._spans, "HeadObject", bucket, key), _wrapped():
                etag = obstore.get(store, key, options=options).meta["e_tag"]
        return Sent(etag=etag, version_id=version)

    def open_first(
        self, bucket: str, key: str, length: int, *, version: str | None, store_bytes: int
    ) -> Opened:
        """The first GET of a download: bytes ``0 .. length - 1``, body unread; a plain
        GET for an empty object (no byte 0: 416). ``store_bytes``: as in ``sized``.

        Raises:
            s3_errors.EngineError: obstore's error (``s3_errors.translate_obstore``).
        """
        try:
            return self.open_range(bucket, key, 0, length, store_bytes=store_bytes, version=version)
        except EngineError as exc:
            if "status code: 416" not in str(exc):
                raise
        return self.open_range(bucket, key, 0, None, store_bytes=store_bytes, version=version)

    def open_range(
        self,
        bucket: str,
        key: str,
        start: int,
        stop: int | None,
        *,
        store_bytes: int,
        if_match: str | None = None,
        version: str | None = None,
    ) -> Opened:
        """One GET of the bytes ``start .. stop - 1`` (``stop`` None: the whole object),
        pinned to ``if_match`` and ``version`` when given; body unread (``body``).

        Raises:
            s3_errors.EngineError: obstore's error; a replaced object is its
                ``PreconditionError`` (412).
        """
        import obstore

        options: GetOptions = {}
        if stop is not None:
            options["range"] = (start, stop)
        if if_match is not None:
            options["if_match"] = if_match
        if version is not None:
            options["version"] = version
        with traced(self._spans, "GetObject", bucket, key), _wrapped():
            result = obstore.get(self.sized(bucket, store_bytes), key, options=options)
            meta = result.meta
            first, last = result.range
        return Opened(
            result=result,
            start=first,
            stop=last,
            size=int(meta["size"]),
            etag=meta["e_tag"],
            version_id=meta["version"],
        )

    def body(
        self,
        opened: Opened,
        bucket: str,
        key: str,
        *,
        store_bytes: int,
        version: str | None,
        chunk: int = 1024 * 1024,
    ) -> Iterator[bytes]:
        """Yield ``opened``'s body in chunks of about ``chunk`` bytes (default 1 MiB).

        When the body drops mid-way, the rest is asked for (pinned to the same ETag and
        ``version``), at most ``BUCKET_MAX_RETRIES`` times; without an ETag, never.

        Raises:
            s3_errors.EngineError: the body dropped past the budget, or the resume was
                refused (412 when the object was replaced).
        """
        received = 0
        resumes = 0
        stream = opened.result.stream(min_chunk_size=chunk)
        while True:
            try:
                piece = next(stream)
            except StopIteration:
                return
            except Exception as exc:
                if opened.etag is None or resumes >= self._config.max_retries:
                    raise EngineError(exc) from exc
                resumes += 1
                log.debug("body dropped after %d bytes; resuming (%d)", received, resumes)
                rest = self.open_range(
                    bucket,
                    key,
                    opened.start + received,
                    opened.stop,
                    store_bytes=store_bytes,
                    if_match=opened.etag,
                    version=version,
                )
                stream = rest.result.stream(min_chunk_size=chunk)
                continue
            received += len(piece)
            yield piece

    def head(self, bucket: str, key: str) -> None:
        """One HEAD; raises (``errors.EngineError``) when there is no such object."""
        import obstore

        with traced(self._spans, "HeadObject", bucket, key), _wrapped():
            obstore.head(self.store(bucket), key)

    def delete(self, bucket: str, key: str) -> None:
        """One DELETE (a missing key is not an error, S3's rule)."""
        import obstore

        with traced(self._spans, "DeleteObject", bucket, key), _wrapped():
            obstore.delete(self.store(bucket), key)

    def sign(self, bucket: str, key: str, *, method: Literal["GET", "PUT"], seconds: int) -> str:
        """A presigned URL (SigV4 query string); no request."""
        import obstore

        with _wrapped():
            return obstore.sign(self.store(bucket), method, key, timedelta(seconds=seconds))

    # ------------------------------------------- the same, as coroutines (AsyncBucket)
    async def aput(
        self, bucket: str, key: str, data: bytes, form: ObstoreWrite, *, create: bool
    ) -> Sent:
        """``put`` on obstore's async call."""
        import obstore

        with traced(self._spans, "PutObject", bucket, key), _wrapped():
            result = await obstore.put_async(
                self.store(bucket),
                key,
                data,
                attributes=form.attributes,
                tags=form.tags or None,
                mode="create" if create else "overwrite",
                use_multipart=False,
            )
        return Sent(etag=result["e_tag"], version_id=result["version"])

    async def aget(self, bucket: str, key: str, window: tuple[int, int] | None) -> bytes | None:
        """``get`` on obstore's async call."""
        import obstore

        options: GetOptions = {} if window is None else {"range": window}
        with traced(self._spans, "GetObject", bucket, key), _wrapped():
            result = await obstore.get_async(self.store(bucket), key, options=options)
            if window is None and int(result.meta["size"]) > SMALL_OBJECT:
                return None
            return bytes(await result.bytes_async())

    async def ahead(self, bucket: str, key: str) -> None:
        """``head`` on obstore's async call."""
        import obstore

        with traced(self._spans, "HeadObject", bucket, key), _wrapped():
            await obstore.head_async(self.store(bucket), key)

    async def adelete(self, bucket: str, key: str) -> None:
        """``delete`` on obstore's async call."""
        import obstore

        with traced(self._spans, "DeleteObject", bucket, key), _wrapped():
            await obstore.delete_async(self.store(bucket), key)


@contextlib.contextmanager
def _wrapped() -> Iterator[None]:
    """Mark what obstore raises as obstore's (``errors.EngineError``)."""
    try:
        yield
    except Exception as exc:
        raise EngineError(exc) from exc


@dataclass(frozen=True)
class Sent:
    """What the server answered a PUT."""

    etag: str | None
    version_id: str | None


@dataclass(frozen=True)
class Opened:
    """A GET whose body is not read yet (``ObstorePlane.body``): the bytes ``start ..
    stop - 1`` of an object of ``size`` bytes, its ETag (quoted) and version."""

    result: GetResult
    start: int
    stop: int
    size: int
    etag: str | None
    version_id: str | None
