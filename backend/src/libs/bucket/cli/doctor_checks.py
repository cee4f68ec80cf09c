"""The checks of ``bucket doctor`` that need no scratch bucket: the local root, the
endpoint, the clock, the credentials (their source from ``factory.credential_source``),
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

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import (
    AuthenticationFailed,
    BucketNotFound,
    ConfigError,
    ConnectionFailed,
    PermissionDenied,
    ServiceUnavailable,
    StorageError,
)
from backend.src.libs.bucket.base.files import find_temporaries
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.output import one_line
from backend.src.libs.bucket.factory import credential_source

T = TypeVar("T")


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
    actions the server denied, for the command's context ``ctx``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.checks: list[Check] = []
        self.denied: list[str] = []

    def add(self, name: str, status: str, detail: str, fix: str = "") -> None:
        """Record (and print) one check."""
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        if not self.ctx.json:
            self.ctx.out(check.line())

    def ok(self, name: str, detail: str) -> None:
        self.add(name, "ok", detail)

    def warn(self, name: str, detail: str, fix: str) -> None:
        self.add(name, "warn", detail, fix)

    def fail(self, name: str, detail: str, fix: str) -> None:
        self.add(name, "fail", detail, fix)

    def skip(self, names: Iterable[str], detail: str, fix: str = "") -> None:
        """Record each of ``names`` without a line yet as skipped, for the same reason."""
        for name in names:
            if not self.reported(name):
                self.add(name, "skip", detail, fix)

    def not_applicable(self, names: Iterable[str], detail: str) -> None:
        """Record each of ``names`` as skipped (in ``--json``), but print one line for
        them all: checks that cannot apply are not news, one per line."""
        skipped = [Check(name, "skip", detail) for name in names]
        self.checks.extend(skipped)
        if skipped and not self.ctx.json:
            self.ctx.out(one_line(f"not checked: {', '.join(c.name for c in skipped)} ({detail})"))

    def reported(self, name: str) -> bool:
        """True once ``name`` has its line."""
        return any(c.name == name for c in self.checks)

    def guarded(self, names: tuple[str, ...], func: Callable[[], T]) -> tuple[bool, T | None]:
        """Run ``func``, the check(s) ``names``: ``(True, its result)``; or, when it raises
        a ``StorageError`` no check expects, ``(False, None)`` after a ``fail`` line (with
        its fix, ``fix_for``) for the first of ``names`` without a line yet, and a
        ``skip`` line for the others, so the doctor goes on to its next check."""
        try:
            return True, func()
        except StorageError as exc:
            missing = [name for name in names if not self.reported(name)]
            if missing:
                self.fail(missing[0], f"{exc.code}: {exc.message}", fix_for(exc, self))
                self.skip(missing[1:], f"not checked: {missing[0]} failed")
            return False, None

    def attempt(self, action: str, func: Callable[[], T]) -> tuple[bool, T | None]:
        """Run ``func``: ``(True, its result)``, or ``(False, None)`` when the server
        denied it (recorded under ``action``); ``AuthenticationFailed`` (a bad key, not a
        missing permission) is raised."""
        try:
            return True, func()
        except AuthenticationFailed:
            raise
        except PermissionDenied:
            self.denied.append(action)
            return False, None


CREDENTIALS_FIX = "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or BUCKET_USER / BUCKET_PASSWORD, AWS_PROFILE)"


def endpoint_variable(config: BucketConfig) -> str:
    """The setting that named the endpoint (``S3_ENDPOINT_URL`` when none did)."""
    return config.sources.get("endpoint_url", "S3_ENDPOINT_URL")


def fix_for(exc: StorageError, f: Findings) -> str:
    """The fix of a check that failed with ``exc``, by the kind of error: the one place
    the doctor maps an unexpected failure to advice."""
    if isinstance(exc, AuthenticationFailed):
        return CREDENTIALS_FIX
    if isinstance(exc, PermissionDenied):
        return "grant the permission these credentials lack (see the IAM policy printed below)"
    if isinstance(exc, BucketNotFound) and exc.bucket:
        return f"bucket mb s3://{exc.bucket}"
    if isinstance(exc, (ConnectionFailed, ServiceUnavailable)):
        return f"check {endpoint_variable(f.config)} and that the server is running"
    return "run bucket --debug doctor for the details"


def key_source(config: BucketConfig) -> str:
    """Where the key comes from, in words (``factory.credential_source``):
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
    """The local folder store: its root is writable, no old temporary lies in it (left by
    a killed writer; ``bucket gc`` removes them), and the bucket named exists
    (``check_bucket``). The S3 checks do not apply."""
    root = Path(f.config.local_root).expanduser().absolute()
    try:
        latency = f.ctx.store.ping()
    except StorageError as exc:
        f.fail(
            "local root",
            f"{root}: {exc.message}",
            "set BUCKET_LOCAL_ROOT to a writable folder",
        )
    else:
        f.ok(
            "local root",
            f"{root} is writable ({latency * 1000:.1f} ms); local folder store chosen "
            f"by: {f.config.selected_by}",
        )
        check_temporaries(f, root)
        f.guarded(("bucket",), lambda: check_bucket(f))
    f.not_applicable(LOCAL_SKIPPED, "they are S3 checks; the local folder store has none of it")


GC_GRACE = 3600.0
"""Seconds after which a temporary is a leftover (``bucket gc``'s default)."""


def check_temporaries(f: Findings, root: Path) -> None:
    """``ok`` when no temporary older than ``GC_GRACE`` lies under ``root``, else
    ``warn`` with their count and bytes (a killed writer left them)."""
    left = list(find_temporaries(root, older_than=GC_GRACE))
    if not left:
        f.ok("temporaries", f"none older than {GC_GRACE / 3600:g} h under {root}")
        return
    size = sum(t.size for t in left)
    f.warn(
        "temporaries",
        f"{len(left)} left by interrupted writes ({size} bytes), oldest "
        f"{max(t.age for t in left) / 3600:.1f} h",
        f"bucket gc {root}",
    )


@dataclass(frozen=True)
class Answer:
    """The endpoint's answer to one plain GET: the server's ``Date`` (None without one)
    and the round trip in seconds (for the clock check), and whether it answered as an
    S3 server."""

    date: datetime | None
    elapsed: float
    s3: bool


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer in itself (AWS answers ``GET /`` with a 307 that carries
    its request id): not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, timeout: float) -> tuple[int, Any, bytes]:
    """``GET url``: the status, the headers and the first 4 KiB of the body, for any HTTP
    answer (errors and redirects included); ``URLError``, ``OSError`` or ``ValueError``
    for none (or not a URL)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.headers, response.read(4096)
    except urllib.error.HTTPError as exc:  # any HTTP answer means it is reachable
        body = exc.read(4096) if exc.fp is not None else b""
        return exc.code, exc.headers, body


def speaks_s3(headers: Any, body: bytes) -> bool:
    """Whether an answer comes from an S3 server: S3's request-id headers (AWS, Ceph RGW,
    MinIO, SeaweedFS send them), or S3's XML (a bucket list or an error document)."""
    if headers is not None and any(h in headers for h in ("x-amz-request-id", "x-amz-id-2")):
        return True
    return b"<ListAllMyBucketsResult" in body or b"<Error>" in body


def _server_date(headers: Any) -> datetime | None:
    """The ``Date`` header as an aware datetime (RFC 5322's ``-0000``, which the parser
    leaves naive, is UTC), or None when there is none or it cannot be read."""
    raw_date = headers.get("Date") if headers is not None else None
    try:
        date = parsedate_to_datetime(raw_date) if raw_date else None
    except (TypeError, ValueError):
        return None
    return date.replace(tzinfo=UTC) if date is not None and date.tzinfo is None else date


def check_endpoint(f: Findings) -> Answer | None:
    """One plain HTTP request to the endpoint: any HTTP answer means reachable, and it
    must come from an S3 server (``speaks_s3``; a web server on the port fails). Returns
    the answer, None when unreachable."""
    cfg = f.config
    url = cfg.endpoint_url or f"https://s3.{cfg.region}.amazonaws.com"
    variable = endpoint_variable(cfg)
    started = time.monotonic()
    try:
        status, headers, body = _get(url, cfg.connect_timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        f.fail(
            "endpoint reachable",
            f"{url}: {reason}",
            f"check {variable} (scheme, host, port) and that the server is running "
            "and reachable from this machine",
        )
        return None
    elapsed = time.monotonic() - started
    answered = f"{url} answered HTTP {status} in {elapsed * 1000:.0f} ms"
    s3 = speaks_s3(headers, body)
    if s3:
        f.ok("endpoint reachable", answered)
    else:
        f.fail(
            "endpoint reachable",
            f"{answered}, but not as an S3 server (no x-amz-request-id header, no S3 XML)",
            f"check {variable}: it must name the S3 API (scheme, host and port), "
            "not another web server",
        )
    return Answer(_server_date(headers), elapsed, s3)


def check_clock(f: Findings, answer: Answer) -> None:
    """The local clock against the server's ``Date`` (S3 refuses beyond 15 minutes)."""
    if answer.date is None:
        f.warn(
            "clock skew",
            "the server sent no Date header; skew unknown",
            "keep this machine's clock synchronised (NTP)",
        )
        return
    skew = (datetime.now(UTC) - answer.date).total_seconds() - answer.elapsed / 2
    fix = "synchronise the clock (timedatectl set-ntp true, chrony or ntpd)"
    if abs(skew) > 900:
        f.fail(
            "clock skew",
            f"local clock is {skew:+.0f} s off the server's; S3 refuses signatures beyond 15 min",
            fix,
        )
    elif abs(skew) > 60:
        f.warn("clock skew", f"local clock is {skew:+.0f} s off the server's", fix)
    else:
        f.ok("clock skew", f"{skew:+.1f} s from the server's Date header")


def check_credentials(f: Findings) -> str | None:
    """ListBuckets with the configured key. Returns None when the server accepted the key
    (even if it denied the listing), else why the checks that need it cannot run: the
    key was refused, or the endpoint does not answer as an S3 server."""
    source = key_source(f.config)
    try:
        ok, buckets = f.attempt("s3:ListAllMyBuckets", f.ctx.store.list_buckets)
    except AuthenticationFailed as exc:
        f.fail(
            "credentials",
            f"refused by the server ({exc.code}; key from {source})",
            CREDENTIALS_FIX,
        )
        return "the credentials were refused"
    except ConfigError as exc:
        f.fail(
            "credentials",
            exc.message,
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
        )
        return "no credentials"
    except StorageError as exc:  # an HTTP server, but not S3 (a web server on the port)
        f.fail(
            "credentials",
            f"ListBuckets got no S3 answer ({exc.code}: {exc.message})",
            f"check {endpoint_variable(f.config)} (now {f.config.endpoint_url}): it must "
            "name the S3 API (scheme, host and port), not another web server",
        )
        return "the endpoint does not answer as an S3 server"
    if ok and buckets is not None:
        f.ok("credentials", f"accepted (key from {source}; {len(buckets)} bucket(s) visible)")
    else:
        f.ok("credentials", f"accepted (key from {source}) but ListBuckets is denied")
    return None


def check_bucket(f: Findings) -> str | None:
    """The bucket named by ``--bucket`` or the settings (``BUCKET_NAME``) exists. Returns
    it for the scratch checks, or None when they need a temporary bucket (none named, or
    it is missing). A missing settings bucket is a warning when ``BUCKET_AUTO_CREATE``
    (the default) makes the library create it on first use, a failure otherwise."""
    named = f.ctx.args.bucket or f.config.default_bucket
    if named is None:
        scratch = (
            "" if f.config.storage_type == "local" else ": the checks below use a temporary one"
        )
        f.ok("bucket", f"none named (BUCKET_NAME, --bucket){scratch}")
        return None
    where = "--bucket" if f.ctx.args.bucket else f.config.sources.get("default_bucket", "")
    ok, exists = f.attempt("s3:ListBucket", lambda: f.ctx.store.bucket_exists(named))
    if not ok:
        f.warn(
            "bucket",
            f"{named} ({where}): HEAD denied, existence unknown",
            "grant s3:ListBucket (see the policy below)",
        )
        return named
    if exists:
        f.ok("bucket", f"{named} ({where}) exists")
        return named
    if f.config.auto_create and not f.ctx.args.bucket:
        f.warn(
            "bucket",
            f"{named} ({where}) does not exist; the library creates it on first use "
            "(BUCKET_AUTO_CREATE=true), the bucket command does not",
            f"bucket mb s3://{named} (to create it now)",
        )
    else:
        auto = (
            ""
            if f.ctx.args.bucket
            else ", or set BUCKET_AUTO_CREATE=true (the library creates it on first use)"
        )
        f.fail("bucket", f"{named} ({where}) does not exist", f"bucket mb s3://{named}{auto}")
    return None


def check_addressing(f: Findings) -> None:
    """Path style for custom endpoints, virtual-hosted (``auto``) for AWS."""
    cfg = f.config
    style = cfg.effective_addressing_style
    if not cfg.is_aws and style == "virtual":
        f.warn(
            "addressing style",
            f"virtual-hosted for the custom endpoint {cfg.endpoint_url}: bucket names "
            "become host names, which most self-hosted servers do not resolve",
            "set BUCKET_ADDRESSING_STYLE=path",
        )
    elif cfg.is_aws and style == "path":
        f.warn(
            "addressing style",
            "path-style on AWS S3 (deprecated, refused for new buckets)",
            "set BUCKET_ADDRESSING_STYLE=auto",
        )
    else:
        f.ok("addressing style", f"{style} ({'AWS' if cfg.is_aws else 'custom'} endpoint)")


def check_permissions(f: Findings) -> None:
    """Every action the server denied so far, in one line."""
    if not f.denied:
        f.ok("permissions", "every operation tried was allowed")
        return
    f.fail(
        "permissions",
        f"denied: {', '.join(sorted(set(f.denied)))}",
        "attach the IAM policy printed below to these credentials",
    )
