"""The S3 engine: ``S3Store`` (``store``) on one boto3 client (``connection``) with the
obstore data plane (``obstore``), bucket administration (``admin``), transfers, deadlines,
signing (``sigv4``, ``signed_head``, ``presign``), the listing reader, credentials, the
one translation of the engines' errors (``errors``) and every reach into botocore's
private names (``botocore_private``)."""
