"""obstore's native async calls for ``AsyncBucket``, on the sync plane's routing rule.

``S3Store`` sends a request to obstore only when ``obstore_engine`` says obstore carries
it exactly (``key_ok``, ``writes``, ``reads``, ``SMALL_OBJECT``; see that module's
docstring). This module asks the same functions and, where they say yes, awaits
obstore's ``put_async`` / ``get_async`` / ``head_async`` / ``delete_async`` /
``sign_async`` on the very obstore store of the bucket (``ObstorePlane.store``), so the
event loop never waits on a thread. Where they say no, each method returns ``ELSEWHERE``
and ``AsyncBucket`` runs the sync store's method in its executor: that is where large
bodies, encryption, versions, listings and everything else keep every guarantee of the
sync code.

The checks before a request are the sync store's own (``check_bucket_name``, the key
with its prefix through ``S3Connection.key``, ``check_range``, ``check_expiration``),
and errors go through the same translation: what obstore raises is wrapped in
``errors.EngineError`` and ``S3Connection.translating`` turns it into a
``StorageError`` (with the deadline rule), as ``obstore_engine._wrapped`` does for the
sync calls; ``_write_once_conflict`` and ``_sse_c_hint`` of ``s3_store`` name a refused
write-once and a probable SSE-C read as the sync store does.

This module is a friend of ``S3Store``: it reads ``store._conn`` (the ``S3Connection``)
and that connection's ``built_plane`` (never building one, so that a plane dropped by a
reconnect is rebuilt in the executor, never on the event loop). obstore's async calls
themselves are ``ObstorePlane``'s (``aput``, ``aget``, ...), beside the sync ones.

Cancellation: a cancelled await drops obstore's request. A PUT is one request, so the
object is either the old one or the new one, never a part of it.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import TYPE_CHECKING

from backend.src.libs.bucket import presign
from backend.src.libs.bucket.errors import NotFound
from backend.src.libs.bucket.obstore_engine import get_window, key_ok, writes
from backend.src.libs.bucket.options import WriteOptions, s3_write_args
from backend.src.libs.bucket.store import UploadResult
from backend.src.libs.bucket.validation import check_bucket_name, check_range

if TYPE_CHECKING:
    from backend.src.libs.bucket.obstore_engine import ObstorePlane
    from backend.src.libs.bucket.s3_connection import S3Connection
    from backend.src.libs.bucket.store import ObjectStore, ProgressCallback


class Route(enum.Enum):
    """``ELSEWHERE``: the request is not obstore's; run the sync store's method."""

    ELSEWHERE = "elsewhere"


ELSEWHERE = Route.ELSEWHERE


class AsyncPlane:
    """obstore's async calls for one ``S3Store`` whose data plane is obstore.

    Build it with ``AsyncPlane.of(store)``, which is None for any other store. Every
    method checks its arguments as the sync store does, raises ``StorageError``s only,
    and returns ``ELSEWHERE`` when the routing rule keeps the request on boto3 or the
    plane is not built yet (after a reconnect: the executor rebuilds it).

    Thread-safety: stateless beyond the store; any number of tasks may share one.
    """

    def __init__(self, conn: S3Connection) -> None:
        self._conn = conn

    @staticmethod
    def of(store: ObjectStore) -> AsyncPlane | None:
        """The async plane of ``store``: None unless it is an ``S3Store`` on obstore."""
        from backend.src.libs.bucket.s3_store import S3Store

        if not isinstance(store, S3Store) or store.engine != "obstore":
            return None
        return AsyncPlane(store._conn)

    def _plane(self, full: str, *, reads: bool = False) -> ObstorePlane | None:
        """The built plane when obstore may carry a request of ``full`` (``reads``: and
        no default SSE-C key is in force), else None."""
        if not key_ok(full) or (reads and self._conn.config.sse_customer_key is not None):
            return None
        return self._conn.built_plane

    # ----------------------------------------------------------------- writes
    async def put(
        self,
        bucket: str,
        key: str,
        data: bytes | bytearray | memoryview | str,
        options: WriteOptions,
        progress: ProgressCallback | None,
    ) -> UploadResult | Route:
        """``S3Store.put_object`` of in-memory ``data`` as one obstore PUT, when the rule
        allows it (at most ``SMALL_OBJECT`` bytes, options obstore expresses).

        Raises:
            InvalidArgument: bad bucket name or key.
            AlreadyExists: a write-once put (``options.write_once``) of an existing key.
            StorageError: what the server answered.
        """
        from backend.src.libs.bucket.s3_store import _etag, _write_once_conflict

        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        form = writes(s3_write_args(options, self._conn.config, key=key), len(body))
        plane = self._plane(full)
        if form is None or plane is None:
            return ELSEWHERE
        if progress:
            progress(0, len(body))
        write_once = options.write_once
        with (
            _write_once_conflict(write_once, bucket, key),
            self._conn.translating("put_object", bucket, key),
        ):
            sent = await plane.aput(bucket, full, body, form, create=write_once)
        if progress:
            progress(len(body), len(body))
        return UploadResult(
            bucket=bucket,
            key=key,
            size=len(body),
            etag=_etag(sent.etag),
            version_id=sent.version_id,
        )

    # ------------------------------------------------------------------ reads
    async def get(self, bucket: str, key: str, start: int | None, end: int | None) -> bytes | Route:
        """``S3Store.get_object`` (latest version, no SSE-C key) as one obstore GET: a
        whole object of at most ``SMALL_OBJECT`` bytes, or a closed range of at most that
        many (``obstore_engine.get_window``). ``ELSEWHERE`` for any other range, or a
        larger object (its answer dropped after the head; the executor reads it).

        Raises:
            InvalidArgument: bad bucket, key or range; a ``start`` past the end.
            ObjectNotFound, BucketNotFound: nothing there.
        """
        from backend.src.libs.bucket.s3_store import _sse_c_hint

        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        check_range(start, end)
        plane = self._plane(full, reads=True)
        window = None if start is None and end is None else get_window(start, end)
        if plane is None or (window is None and (start, end) != (None, None)):
            return ELSEWHERE
        with _sse_c_hint(bucket, key), self._conn.translating("get_object", bucket, key):
            got = await plane.aget(bucket, full, window)
        return ELSEWHERE if got is None else got.data

    async def exists(self, bucket: str, key: str) -> bool | Route:
        """``S3Store.object_exists``: one obstore HEAD (a missing bucket reads False)."""
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        plane = self._plane(full, reads=True)
        if plane is None:
            return ELSEWHERE
        try:
            with self._conn.translating("object_exists", bucket, key):
                await plane.ahead(bucket, full)
        except NotFound:
            return False
        return True

    async def delete(self, bucket: str, key: str) -> Route | None:
        """``S3Store.delete_object`` of the latest version: one obstore DELETE (a missing
        key is not an error)."""
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        plane = self._plane(full)
        if plane is None:
            return ELSEWHERE
        with self._conn.translating("delete_object", bucket, key):
            await plane.adelete(bucket, full)
        return None

    async def sign(
        self, bucket: str, key: str, *, method: str, expiration: float | timedelta
    ) -> str | Route:
        """``S3Store.presign_url`` of a plain GET or PUT URL (no extra parameters, no
        ``public_url``): obstore signs it; no request is made.

        Raises:
            InvalidArgument: bad bucket, key or expiration.
        """
        check_bucket_name(bucket)
        full = self._conn.key(key, bucket)
        verb = str(method).upper()
        plane = self._plane(full)
        if plane is None or verb not in ("GET", "PUT") or self._conn.config.public_url:
            return ELSEWHERE
        seconds = presign.check_expiration(expiration)
        with self._conn.translating("presign_url", bucket, key):
            return await plane.asign(
                bucket, full, method="GET" if verb == "GET" else "PUT", seconds=seconds
            )


__all__ = ["ELSEWHERE", "AsyncPlane", "Route"]
