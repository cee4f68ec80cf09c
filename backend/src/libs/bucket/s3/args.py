"""The one mapping of a write's options (``base.options``) to boto3's arguments:
``ExtraArgs`` of PutObject and CreateMultipartUpload (``s3_write_args``), and the
arguments of an encryption or an SSE-C key (``encryption_args``, ``sse_c_args``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypedDict, cast

from backend.src.libs.bucket.base.options import (
    Encryption,
    SseC,
    SseKms,
    WriteOptions,
    encryption_in_force,
)
from backend.src.libs.bucket.base.write_rules import LockMode, tagging_header

if TYPE_CHECKING:
    from types_boto3_s3.literals import (
        ObjectLockLegalHoldStatusType,
        ServerSideEncryptionType,
        StorageClassType,
    )

    from backend.src.libs.bucket.base.config import BucketConfig


class SseCArgs(TypedDict):
    """boto3's arguments of an SSE-C key (on writes and on reads)."""

    SSECustomerAlgorithm: str
    SSECustomerKey: str | bytes


class EncryptionArgs(TypedDict, total=False):
    """boto3's arguments of one ``Encryption`` (``encryption_args``)."""

    ServerSideEncryption: ServerSideEncryptionType
    SSEKMSKeyId: str
    SSECustomerAlgorithm: str
    SSECustomerKey: str | bytes


class WriteArgs(EncryptionArgs, total=False):
    """boto3's ``ExtraArgs`` of a write (``s3_write_args``): the keys PutObject and
    CreateMultipartUpload share; ``IfNoneMatch`` is added by the store on the request
    that creates the object."""

    ContentType: str
    Metadata: dict[str, str]
    CacheControl: str
    ContentDisposition: str
    ContentEncoding: str
    StorageClass: StorageClassType
    Tagging: str
    ObjectLockMode: LockMode
    ObjectLockRetainUntilDate: datetime
    ObjectLockLegalHoldStatus: ObjectLockLegalHoldStatusType
    IfNoneMatch: str


def s3_write_args(options: WriteOptions, config: BucketConfig, *, key: str) -> WriteArgs:
    """boto3's ``ExtraArgs`` of a write (PutObject, CreateMultipartUpload): content type
    (guessed from ``key`` when not given), metadata, encryption (``encryption_in_force``),
    storage class (default ``BUCKET_STORAGE_CLASS``), tags and object lock. The put mode
    is not among them: the store sends ``If-None-Match`` on the request that creates
    the object. An SSE-C key is registered with ``redact`` (never logged)."""
    from backend.src.libs.bucket.base.files import guess_content_type  # cheap package import

    args: WriteArgs = {"ContentType": options.content_type or guess_content_type(key)}
    if options.metadata:
        args["Metadata"] = dict(options.metadata)
    if options.cache_control is not None:
        args["CacheControl"] = options.cache_control
    if options.content_disposition is not None:
        args["ContentDisposition"] = options.content_disposition
    if options.content_encoding is not None:
        args["ContentEncoding"] = options.content_encoding
    encryption = encryption_in_force(options.encryption, config)
    if encryption is not None:
        args = {**args, **encryption_args(encryption)}
    storage_class = (
        options.storage_class if options.storage_class is not None else config.storage_class
    )
    if storage_class is not None:
        # checked against config.STORAGE_CLASSES (S3's names) when the options or the
        # settings were built; the str is one of the stubs' literals
        args["StorageClass"] = cast("StorageClassType", storage_class)
    if options.tags:
        args["Tagging"] = tagging_header(options.tags)
    if options.retention is not None:
        args["ObjectLockMode"] = options.retention.mode
        args["ObjectLockRetainUntilDate"] = options.retention.retain_until
    if options.legal_hold is not None:
        args["ObjectLockLegalHoldStatus"] = "ON" if options.legal_hold else "OFF"
    return args


def encryption_args(encryption: Encryption) -> EncryptionArgs:
    """boto3's arguments for ``encryption`` (an SSE-C key also on reads, see
    ``sse_c_args``)."""
    if isinstance(encryption, SseC):
        sse_c = sse_c_args(encryption)
        return {
            "SSECustomerAlgorithm": sse_c["SSECustomerAlgorithm"],
            "SSECustomerKey": sse_c["SSECustomerKey"],
        }
    if isinstance(encryption, SseKms):
        if encryption.key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": encryption.key_id}
        return {"ServerSideEncryption": "aws:kms"}
    return {"ServerSideEncryption": "AES256"}


def sse_c_args(encryption: SseC) -> SseCArgs:
    """boto3's arguments for an SSE-C key, on writes and reads (botocore base64-encodes
    the key and adds its MD5 itself); the key is registered with ``redact``, whose log
    filter is installed (also for a store on an injected client, which builds none)."""
    from backend.src.libs.bucket.base import redact

    redact.register(encryption.key)
    redact.register(encryption.raw)
    redact.install()
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": encryption.raw}
