"""The rules of a single write's S3 options, shared by ``options``, ``config`` and
``s3.admin`` (which re-export them): storage classes, server-side encryption algorithms,
SSE-C keys, object tags and object-lock retention. Nothing but ``errors`` beneath it, so
that checking a write's options (on every upload) imports neither the settings
declaration nor the bucket administration (W5 in ``docs/performance.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from backend.src.libs.bucket.base.errors import ConfigError, InvalidArgument

LockMode = Literal["GOVERNANCE", "COMPLIANCE"]
MAX_TAGS = 10

SSE_ALGORITHMS = ("AES256", "aws:kms")
STORAGE_CLASSES = (
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "OUTPOSTS",
    "SNOW",
    "EXPRESS_ONEZONE",
)


@dataclass(frozen=True)
class Retention:
    """An object version's retention: mode and the date until which it is kept."""

    mode: LockMode
    retain_until: datetime


def check_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """Check object tags: at most 10, keys 1-128 and values 0-256 characters.

    Raises:
        InvalidArgument: names the offending tag.
    """
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidArgument(f"tags must be a mapping, not {type(tags).__name__}")
    if len(tags) > MAX_TAGS:
        raise InvalidArgument(f"tags: S3 allows {MAX_TAGS} tags per object, not {len(tags)}")
    for name, value in tags.items():
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise InvalidArgument(f"tag name {name!r} must be 1-128 characters")
        if not isinstance(value, str) or len(value) > 256:
            raise InvalidArgument(
                f"tag value of {name!r} must be a string of at most 256 characters"
            )
    return dict(tags)


def tagging_header(tags: Mapping[str, str]) -> str:
    """Tags as the URL-encoded ``x-amz-tagging`` value of a put: percent-encoded, a space
    as ``%20`` (Ceph RGW keeps a ``+`` as a plus sign, where AWS reads it as a space)."""
    from urllib.parse import quote, urlencode

    return urlencode(dict(tags), quote_via=quote)


def check_lock_mode(mode: object) -> LockMode:
    """``GOVERNANCE`` or ``COMPLIANCE``, else ``InvalidArgument`` naming ``mode``."""
    if mode not in ("GOVERNANCE", "COMPLIANCE"):
        raise InvalidArgument(f"mode must be GOVERNANCE or COMPLIANCE, not {mode!r}")
    return mode


def check_retain_until(value: object) -> datetime:
    """``value`` when it is a timezone-aware datetime, else ``InvalidArgument``."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidArgument("retain_until must be a timezone-aware datetime")
    return value


def sse_customer_key_bytes(key: str | bytes, var: str = "sse_customer_key") -> bytes:
    """The 32 raw bytes of an SSE-C key given as bytes, 64 hex digits or base64.

    Raises:
        ConfigError: not a 256-bit key; the message names ``var``, never the key.
    """
    import base64
    import binascii

    if isinstance(key, bytes):
        raw = key
    elif re.fullmatch(r"[0-9a-fA-F]{64}", key):
        raw = bytes.fromhex(key)
    else:
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if len(raw) != 32:
        raise ConfigError(f"{var} must be a 256-bit key: 32 bytes, 64 hex digits or base64")
    return raw
