"""The checks of ``bucket doctor`` that need no scratch bucket: the local root, the
endpoint, the clock, the credentials (their source from ``credentials.credential_source``),
the addressing style and the permissions summary; and ``Findings``, where every check
records its line."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import one_line
from backend.src.libs.bucket.config import BucketConfig
from backend.src.libs.bucket.credentials import credential_source
from backend.src.libs.bucket.errors import (
    AuthenticationFailed,
    ConfigError,
    PermissionDenied,
    StorageError,
)
from backend.src.libs.bucket.localfiles import find_temporaries

T = TypeVar("T")

ServerDate = tuple[datetime, float]
"""The server's ``Date`` and the request's round trip in seconds (-1: no Date header)."""


@dataclass(frozen=True)
class Check:
    """One line of ``doctor``: what was checked, ``ok``/``warn``/``fail``/``skip``, the
    finding, and how to fix it."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The check as one line of text (the fix shown for ``warn`` and ``fail``)."""
        text = f"[{self.status:^4}] {self.name}: {self.detail}"
        if self.fix and self.status in ("warn", "fail"):
            text += f" -> fix: {self.fix}"
        return one_line(text)


class Findings:
    """The checks made so far (each printed as it is made, unless ``--json``) and the
    actions the server denied.

    Args:
        ctx: the command's context (settings, store, output).
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.checks: list[Check] = []
        self.denied: list[str] = []

    def add(self, name: str, status: str, detail: str, fix: str = "") -> Check:
        """Record (and print) one check."""
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        if not self.ctx.json:
            self.ctx.out(check.line())
        return check

    def skip(self, names: Iterable[str], detail: str, fix: str = "") -> None:
        """Record each of ``names`` as skipped, for the same reason."""
        for name in names:
            self.add(name, "skip", detail, fix)

    def not_applicable(self, names: Iterable[str], detail: str) -> None:
        """Record each of ``names`` as skipped (in ``--json``), but print one line for
        them all: checks that cannot apply are not news, one per line."""
        skipped = [Check(name, "skip", detail) for name in names]
        self.checks.extend(skipped)
        if skipped and not self.ctx.json:
            self.ctx.out(one_line(f"not checked: {', '.join(c.name for c in skipped)} ({detail})"))

    def attempt(self, action: str, func: Callable[[], T]) -> tuple[bool, T | None]:
        """Run ``func``: ``(True, its result)``, or ``(False, None)`` when the server
        denied it (recorded under ``action``).

        Raises:
            AuthenticationFailed: a bad key is not a missing permission.
        """
        try:
            return True, func()
        except AuthenticationFailed:
            raise
        except PermissionDenied:
            self.denied.append(action)
            return False, None


def key_source(config: BucketConfig) -> str:
    """Where the key comes from, in words (``credentials.credential_source``):
    ``AWS_ACCESS_KEY_ID``, ``profile NAME``, ``boto3's default chain``, followed by
    ``, then assume-role`` when a role is set."""
    source = credential_source(config)
    role = source.endswith("+assume-role")
    source = source.removesuffix("+assume-role")
    if source.startswith("profile:"):
        source = f"profile {source.removeprefix('profile:')}"
    elif source == "boto3-chain":
        source = "boto3's default chain"
    return f"{source}, then assume-role" if role else source


LOCAL_SKIPPED = (
    "endpoint reachable",
    "credentials",
    "clock skew",
    "addressing style",
    "region",
    "checksum compatibility",
    "presigned URL",
    "permissions",
)


def check_local(f: Findings) -> None:
    """The local folder store: its root is writable, and no old temporary lies in it
    (left by a killed writer; ``bucket gc`` removes them). The S3 checks do not apply."""
    root = Path(f.config.local_root).expanduser().absolute()
    try:
        latency = f.ctx.store.ping()
    except StorageError as exc:
        f.add(
            "local root",
            "fail",
            f"{root}: {exc.message}",
            "set BUCKET_LOCAL_ROOT to a writable folder",
        )
    else:
        f.add(
            "local root",
            "ok",
            f"{root} is writable ({latency * 1000:.1f} ms); local folder store chosen "
            f"by: {f.config.selected_by}",
        )
        check_temporaries(f, root)
    f.not_applicable(LOCAL_SKIPPED, "they are S3 checks; the local folder store has none of it")


GC_GRACE = 3600.0
"""Seconds after which a temporary is a leftover (``bucket gc``'s default)."""


def check_temporaries(f: Findings, root: Path) -> None:
    """``ok`` when no temporary older than ``GC_GRACE`` lies under ``root``, else
    ``warn`` with their count and bytes (a killed writer left them)."""
    left = list(find_temporaries(root, older_than=GC_GRACE))
    if not left:
        f.add("temporaries", "ok", f"none older than {GC_GRACE / 3600:g} h under {root}")
        return
    size = sum(t.size for t in left)
    f.add(
        "temporaries",
        "warn",
        f"{len(left)} left by interrupted writes ({size} bytes), oldest "
        f"{max(t.age for t in left) / 3600:.1f} h",
        f"bucket gc {root}",
    )


def check_endpoint(f: Findings) -> ServerDate | None:
    """One plain HTTP request to the endpoint: any HTTP answer means reachable. Returns
    the server's date for the clock check, None when unreachable."""
    cfg = f.config
    url = cfg.endpoint_url or f"https://s3.{cfg.region}.amazonaws.com"
    variable = cfg.sources.get("endpoint_url", "S3_ENDPOINT_URL")
    started = time.monotonic()
    headers: Any = None
    status = 0
    try:
        with urllib.request.urlopen(url, timeout=cfg.connect_timeout) as response:
            headers, status = response.headers, response.status
    except urllib.error.HTTPError as exc:  # any HTTP answer means it is reachable
        headers, status = exc.headers, exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        f.add(
            "endpoint reachable",
            "fail",
            f"{url}: {reason}",
            f"check {variable} (scheme, host, port) and that the server is running "
            "and reachable from this machine",
        )
        return None
    elapsed = time.monotonic() - started
    f.add("endpoint reachable", "ok", f"{url} answered HTTP {status} in {elapsed * 1000:.0f} ms")
    raw_date = headers.get("Date") if headers is not None else None
    try:
        server = parsedate_to_datetime(raw_date) if raw_date else None
    except (TypeError, ValueError):
        server = None
    return (server, elapsed) if server is not None else (datetime.now(UTC), -1.0)


def check_clock(f: Findings, date: ServerDate) -> None:
    """The local clock against the server's ``Date`` (S3 refuses beyond 15 minutes)."""
    server, elapsed = date
    if elapsed < 0:
        f.add(
            "clock skew",
            "warn",
            "the server sent no Date header; skew unknown",
            "keep this machine's clock synchronised (NTP)",
        )
        return
    skew = (datetime.now(UTC) - server).total_seconds() - elapsed / 2
    fix = "synchronise the clock (timedatectl set-ntp true, chrony or ntpd)"
    if abs(skew) > 900:
        f.add(
            "clock skew",
            "fail",
            f"local clock is {skew:+.0f} s off the server's; S3 refuses signatures beyond 15 min",
            fix,
        )
    elif abs(skew) > 60:
        f.add("clock skew", "warn", f"local clock is {skew:+.0f} s off the server's", fix)
    else:
        f.add("clock skew", "ok", f"{skew:+.1f} s from the server's Date header")


def check_credentials(f: Findings) -> bool:
    """ListBuckets with the configured key; True when the server accepted the key (even
    if it denied the listing)."""
    source = key_source(f.config)
    try:
        ok, buckets = f.attempt("s3:ListAllMyBuckets", f.ctx.store.list_buckets)
    except AuthenticationFailed as exc:
        f.add(
            "credentials",
            "fail",
            f"refused by the server ({exc.code}; key from {source})",
            "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
            "(or BUCKET_USER / BUCKET_PASSWORD, AWS_PROFILE)",
        )
        return False
    except ConfigError as exc:
        f.add(
            "credentials",
            "fail",
            exc.message,
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
        )
        return False
    if ok and buckets is not None:
        f.add(
            "credentials", "ok", f"accepted (key from {source}; {len(buckets)} bucket(s) visible)"
        )
    else:
        f.add("credentials", "ok", f"accepted (key from {source}) but ListBuckets is denied")
    return True


def check_addressing(f: Findings) -> None:
    """Path style for custom endpoints, virtual-hosted (``auto``) for AWS."""
    cfg = f.config
    style = cfg.effective_addressing_style
    variable = "BUCKET_ADDRESSING_STYLE"
    if not cfg.is_aws and style == "virtual":
        f.add(
            "addressing style",
            "warn",
            f"virtual-hosted for the custom endpoint "
            f"{cfg.endpoint_url}: bucket names become host names, which most "
            "self-hosted servers do not resolve",
            f"set {variable}=path",
        )
    elif cfg.is_aws and style == "path":
        f.add(
            "addressing style",
            "warn",
            "path-style on AWS S3 (deprecated, refused for new buckets)",
            f"set {variable}=auto",
        )
    else:
        f.add("addressing style", "ok", f"{style} ({'AWS' if cfg.is_aws else 'custom'} endpoint)")


def check_permissions(f: Findings) -> None:
    """Every action the server denied so far, in one line."""
    if not f.denied:
        f.add("permissions", "ok", "every operation tried was allowed")
        return
    f.add(
        "permissions",
        "fail",
        f"denied: {', '.join(sorted(set(f.denied)))}",
        "attach the IAM policy printed below to these credentials",
    )
