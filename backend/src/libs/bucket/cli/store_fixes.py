"""Work-arounds for store behaviour that belongs in the store, kept here (one function
each) until the store does it itself.

``head_naming_what_is_missing``: S3 answers a HEAD of a missing key, or of a key in a
missing bucket, with a bare ``404`` (a HEAD response has no body, so no ``NoSuchKey`` /
``NoSuchBucket`` code). Since ``errors.translate`` names a bare 404 with a key
``NoSuchKey`` (``ObjectNotFound``), the bucket probe below is not reached with today's
stores: a key in a missing bucket is reported as ``NoSuchKey``. The fix belongs in
``S3Store.head_object`` (one ``bucket_exists`` probe on a bare 404, as ``get_object``
tells the two apart from the error body); then this function goes and the commands call
``store.head_object``. ``LocalStore.head_object`` already raises the precise error.
"""

from __future__ import annotations

from backend.src.libs.bucket.errors import BucketNotFound, NotFound, ObjectNotFound
from backend.src.libs.bucket.store import ObjectInfo, ObjectStore


def head_naming_what_is_missing(store: ObjectStore, bucket: str, key: str) -> ObjectInfo:
    """``store.head_object``, with S3's bare HEAD 404 reported as ``NoSuchKey``, or as
    ``NoSuchBucket`` when the bucket is the missing part (one more request, only then).

    Raises:
        ObjectNotFound, BucketNotFound: nothing there.
        StorageError: any other failure of ``head_object`` or ``bucket_exists``.
    """
    try:
        return store.head_object(bucket, key)
    except NotFound as exc:
        if exc.code in ("NoSuchKey", "NoSuchBucket"):
            raise
        if not store.bucket_exists(bucket):
            raise BucketNotFound(
                "head_object failed: the bucket does not exist", bucket=bucket, status=404
            ) from exc
        raise ObjectNotFound(
            "head_object failed: the object does not exist", bucket=bucket, key=key, status=404
        ) from exc
