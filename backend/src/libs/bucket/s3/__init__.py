"""The S3 engine: ``S3Store`` (``store``) on one boto3 client (``connection``) with the
obstore data plane (``obstore``), bucket administration (``admin``), transfers, deadlines,
signing (``sigv4``, ``signed_head``, ``presign``), the listing reader, credentials, the
one translation of the engines' errors (``errors``) and every reach into botocore's
private names (``botocore_private``)."""

# the engine's loggers (bucket.s3, bucket.obstore, bucket.deadline, bucket.credentials,
# bucket.botocore_private) sit below ``bucket``: its NullHandler is there before their
# first record (core.logs)
from backend.src.libs.core import logs as _logs  # noqa: F401
