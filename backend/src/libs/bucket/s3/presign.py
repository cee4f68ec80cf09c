"""Presigned GET/PUT URLs and presigned POST forms.

Signing makes no request: the signature is computed locally for the host of the client
given (with ``BUCKET_PUBLIC_URL``, ``S3Store`` hands in a client built for that public
endpoint, never used to send). Expiry is bounded to 1 second .. 7 days (SigV4's limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from backend.src.libs.bucket.base.errors import InvalidArgument
from backend.src.libs.bucket.base.results import PresignedPost as PresignedPost
from backend.src.libs.bucket.s3 import sigv4

MIN_EXPIRATION = 1
MAX_EXPIRATION = 7 * 24 * 3600
_CLIENT_METHODS = {"GET": "get_object", "PUT": "put_object"}


# RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_"
# / "`" / "|" / "~"; quote() keeps letters, digits and "_.-~" by itself
_ATTR_SAFE = "!#$&+^`|"
MAX_DOWNLOAD_NAME_BYTES = 1024


def content_disposition(download_name: object) -> str:
    """The ``Content-Disposition`` value that makes a browser save as ``download_name``.

    ``attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>``
    (RFC 6266 section 4.3, RFC 5987). The fallback is the name with every character
    outside printable ASCII, ``"``, ``\\`` and ``%`` replaced by ``_``; the
    ``filename*`` parameter carries the exact name, so ``"``, ``;`` and non-ASCII
    letters (``é``, ``中``) cannot end the parameter or add another.

    Example:
        ``content_disposition('a"b.pdf')`` is
        ``attachment; filename="a_b.pdf"; filename*=UTF-8''a%22b.pdf``.

    Raises:
        InvalidArgument: not a string, empty, over 1024 UTF-8 bytes, a lone surrogate,
            or a control character (C0 including tab, CR and LF; DEL; C1), which would
            split or corrupt the response header. Names ``download_name``.
    """
    if not isinstance(download_name, str):
        raise InvalidArgument(f"download_name must be a string, not {type(download_name).__name__}")
    bad = next((c for c in download_name if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F), None)
    if bad is not None:
        raise InvalidArgument(f"download_name must not contain control characters (found {bad!r})")
    try:
        encoded = download_name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument("download_name is not valid UTF-8 text (lone surrogate)") from None
    if not encoded or len(encoded) > MAX_DOWNLOAD_NAME_BYTES:
        raise InvalidArgument(
            f"download_name must be 1 to {MAX_DOWNLOAD_NAME_BYTES} UTF-8 bytes, not {len(encoded)}"
        )
    fallback = "".join(
        c if 0x20 <= ord(c) < 0x7F and c not in '"\\%' else "_" for c in download_name
    )
    exact = quote(encoded, safe=_ATTR_SAFE)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


def _checked(method: str, expiration: int | float | timedelta) -> tuple[str, int]:
    """The HTTP verb (``GET`` or ``PUT``, any case given) and the seconds of validity.

    Raises:
        InvalidArgument: another method, or an expiration ``check_expiration`` refuses.
    """
    verb = str(method).upper()
    if verb not in _CLIENT_METHODS:
        raise InvalidArgument(f"method must be GET or PUT, not {method!r}")
    return verb, check_expiration(expiration)


def check_expiration(expiration: int | float | timedelta) -> int:
    """Seconds of validity, 1 .. 604800 (7 days).

    Raises:
        InvalidArgument: not a number of seconds or outside the bounds; names ``expiration``.
    """
    if isinstance(expiration, timedelta):
        seconds: float = expiration.total_seconds()
    elif isinstance(expiration, (int, float)) and not isinstance(expiration, bool):
        seconds = expiration
    else:
        raise InvalidArgument(
            f"expiration must be seconds or a timedelta, not {type(expiration).__name__}",
            code="InvalidExpiration",
        )
    if seconds != seconds or not MIN_EXPIRATION <= seconds <= MAX_EXPIRATION:
        raise InvalidArgument(
            f"expiration must be between {MIN_EXPIRATION} second and {MAX_EXPIRATION} seconds "
            f"(7 days), not {expiration!r}",
            code="InvalidExpiration",
        )
    return int(seconds)


def presign_url(
    client: Any,
    bucket: str,
    key: str,
    *,
    method: str = "GET",
    expiration: int | float | timedelta = 3600,
    params: Mapping[str, Any] | None = None,
) -> str:
    """A presigned URL for ``method`` on ``bucket``/``key`` (the full, prefixed key).

    Args:
        client: the boto3 client whose endpoint the URL will name.
        method: ``"GET"`` (default) or ``"PUT"``.
        expiration: seconds or a timedelta, 1 s .. 7 days (default 3600).
        params: extra request parameters signed into the URL (``ContentType``,
            ``VersionId``, ``ResponseContentDisposition``...).

    Raises:
        InvalidArgument: bad method or expiration.
    """
    verb, seconds = _checked(method, expiration)
    request = {"Bucket": bucket, "Key": key, **dict(params or {})}
    return str(
        client.generate_presigned_url(
            _CLIENT_METHODS[verb], Params=request, ExpiresIn=seconds, HttpMethod=verb
        )
    )


def presign_post(
    client: Any,
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
    """A presigned POST policy for a browser upload.

    Args:
        key: the key to upload to (full, prefixed); may end with ``${filename}``.
        expiration: seconds or a timedelta, 1 s .. 7 days (default 3600).
        min_size, max_size: ``content-length-range`` bounds in bytes (default: none;
            one given alone means 0 or 5 GiB for the other).
        content_type: the exact ``Content-Type`` the form must send (it is put in the
            fields).
        content_type_prefix: or a prefix the ``Content-Type`` must start with
            (``image/``); the caller sets the field.
        key_prefix: accept any key starting with this (full, prefixed) instead of
            exactly ``key``; ``key`` is then only the default of the form's field.
        fields: more form fields to sign (``acl``, ``x-amz-meta-*``...).

    Raises:
        InvalidArgument: bad expiration, sizes, or a key not under ``key_prefix``.
    """
    seconds = check_expiration(expiration)
    form: dict[str, Any] = dict(fields or {})
    conditions: list[Any] = [{k: v} for k, v in form.items()]
    if min_size is not None or max_size is not None:
        low = 0 if min_size is None else min_size
        high = 5 * 1024**3 if max_size is None else max_size
        for name, value in (("min_size", low), ("max_size", high)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidArgument(f"{name} must be a non-negative integer, not {value!r}")
        if high < low:
            raise InvalidArgument(f"max_size ({high}) must not be below min_size ({low})")
        conditions.append(["content-length-range", low, high])
    if content_type is not None and content_type_prefix is not None:
        raise InvalidArgument("give content_type or content_type_prefix, not both")
    if content_type is not None:
        form["Content-Type"] = content_type
        conditions.append({"Content-Type": content_type})
    elif content_type_prefix is not None:
        conditions.append(["starts-with", "$Content-Type", content_type_prefix])
    signed_key = key
    if key_prefix is not None:
        if not key.startswith(key_prefix):
            raise InvalidArgument(f"key {key!r} must start with key_prefix {key_prefix!r}")
        # botocore turns a key ending in ${filename} into ["starts-with", "$key", prefix]
        signed_key = key_prefix + "${filename}"
    post = client.generate_presigned_post(
        bucket,
        signed_key,
        Fields=form or None,
        Conditions=conditions or None,
        ExpiresIn=seconds,
    )
    out = dict(post["fields"])
    out["key"] = key
    return PresignedPost(url=str(post["url"]), fields=out)


# request parameter -> its query-string name (the ones presign_url passes)
_QUERY_NAMES = {
    "VersionId": "versionId",
    "ResponseContentDisposition": "response-content-disposition",
}


def presign_path_style(
    endpoint: str,
    credentials: Any,
    region: str,
    bucket: str,
    key: str,
    *,
    method: str,
    expiration: int | float | timedelta,
    params: Mapping[str, Any] | None = None,
) -> str | None:
    """``presign_url``'s URL for a path-style endpoint, signed by ``sigv4.sign`` (~3 us
    where botocore's ``generate_presigned_url`` takes ~50 us). ``credentials``: botocore's
    frozen credentials.

    Returns:
        The URL, or None when ``params`` holds a parameter this path does not handle or
        ``endpoint`` has a path of its own (the caller then uses ``presign_url``).

    Raises:
        InvalidArgument: bad method or expiration.
    """
    verb, seconds = _checked(method, expiration)
    query: dict[str, str] = {}
    content_type: str | None = None
    for name, value in (params or {}).items():
        if name == "ContentType":
            content_type = str(value)
        elif name in _QUERY_NAMES:
            query[_QUERY_NAMES[name]] = str(value)
        else:
            return None
    if not sigv4.signs(endpoint):
        return None
    signer = sigv4.Credentials(credentials.access_key, credentials.secret_key, credentials.token)
    return sigv4.sign(
        endpoint,
        signer,
        region,
        f"{bucket}/{key}",
        method=verb,
        seconds=seconds,
        query=query,
        content_type=content_type,
    )
