"""The S3 engine: ``S3Store`` (``store``) on one boto3 client (``connection``) with the
obstore data plane (``obstore``); ``errors`` is the one translation of the engines' errors
and ``botocore_private`` every reach into botocore's private names."""

# the engine's loggers (bucket.s3, bucket.obstore, ...) sit below ``bucket``, whose
# NullHandler is there before their first record (core.logs)
from backend.src.libs.core import logs as _logs  # noqa: F401
