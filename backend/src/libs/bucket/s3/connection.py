"""The client part of ``S3Store``: the boto3 client, built on first use, and what every
other part of the store shares through it.

``S3Connection`` holds the settings, the client (and the ``public_url`` signer), the
key prefix, and the one context manager that turns botocore's and the network's errors
into ``StorageError``s (``translating``). ``S3Store``'s object operations and its bucket
administration (``admin.S3BucketFeatures``) both work through one instance.

boto3 is imported on first use. Thread-safety: one instance may be shared by any number
of threads.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Literal, cast

from backend.src.libs.bucket.base import redact
from backend.src.libs.bucket.base.config import BucketConfig, sse_customer_key_bytes
from backend.src.libs.bucket.base.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    PermissionDenied,
    StorageError,
)
from backend.src.libs.bucket.base.validation import check_key
from backend.src.libs.bucket.s3 import deadline, listing_xml, tracing
from backend.src.libs.bucket.s3.errors import EngineError, translate
from backend.src.libs.bucket.s3.obstore import Engine, ObstorePlane, choose_engine
from backend.src.libs.bucket.s3.send_hooks import SendHooks

if TYPE_CHECKING:
    from boto3.session import Session
    from botocore.config import Config
    from botocore.credentials import ReadOnlyCredentials
    from types_boto3_s3.client import S3Client

log = logging.getLogger("bucket.s3")

_REFUSED_FIELD = {
    "InvalidAccessKeyId": ("access_key", "access key"),
    "InvalidToken": ("session_token", "session token"),
    "ExpiredToken": ("session_token", "session token"),
    "TokenRefreshRequired": ("session_token", "session token"),
}
"""The setting a refusal is about, by S3 error code (default: the secret)."""
_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")
"""An environment variable's name (``sources`` also says ``explicit``)."""


class S3Connection:
    """The boto3 S3 client of one store and the rules every request of that store follows.

    Args:
        config: validated settings.
        client: a ready boto3 S3 client to use instead of building one (tests); it is
            never closed here.
        sts_client: the STS client used for ``role_arn`` (tests pass a stubbed one).
    """

    def __init__(
        self, config: BucketConfig, *, client: S3Client | None = None, sts_client: object = None
    ) -> None:
        self.config = config
        self.prefix = config.key_prefix  # the prefix is a folder: "a" stores "a/k"
        self._client: S3Client | None = client
        self._injected = client is not None
        self._lock = threading.Lock()
        self._sts_client = sts_client
        self._session: Session | None = None
        self._botocore_config: Config | None = None
        self._signer: S3Client | None = None
        self.engine: Engine = choose_engine(config, injected=self._injected)
        self._plane: ObstorePlane | None = None
        self._hooks: SendHooks | None = None
        # BUCKET_ENGINE=auto yields to a test double; an explicit obstore is kept
        self._watch_hooks = config.engine == "auto"
        self.spans: tracing.Spans | None = None
        """The OpenTelemetry spans of this store's requests (``s3.tracing``), or None."""

    @property
    def plane(self) -> ObstorePlane | None:
        """The obstore data plane (built with the client), or None when boto3 carries
        every request: ``BUCKET_ENGINE`` (``s3.obstore.choose_engine``), and, on ``auto``,
        while a test double hooks the client's sending (moto, ``Stubber``, a
        ``before-send`` handler: ``s3.send_hooks``). Every route of the store asks here."""
        if self.engine != "obstore":
            return None
        plane = self._plane
        if plane is None:
            _ = self.client  # builds the session, the client and the plane
            plane = self._plane
        return None if self._hooked() else plane

    def _hooked(self) -> bool:
        """True when ``auto`` yields to a test double hooking this client (True before
        the client is built or while it is closed: the safe answer)."""
        if not self._watch_hooks:
            return False
        hooks = self._hooks
        return hooks is None or hooks.hooked()

    @property
    def built_plane(self) -> ObstorePlane | None:
        """``plane`` as it is now, never built here (None before the first request or
        after ``close``): for the event loop (``AsyncBucket``)."""
        if self.engine != "obstore":
            return None
        plane = self._plane
        return None if plane is None or self._hooked() else plane

    @property
    def client(self) -> S3Client:
        """The boto3 S3 client, built on first use (thread-safe)."""
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = self._build()
        return client

    def _build(self) -> S3Client:
        cfg = self.config
        try:
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError

            from backend.src.libs.bucket.s3.credentials import (
                configured_endpoint,
                make_session,
                require_credentials,
            )

            session = make_session(cfg, sts_client=self._sts_client)
            require_credentials(session, cfg)
            # no endpoint in the settings: boto3 reads AWS_ENDPOINT_URL* or the config
            # file's endpoint_url itself; addressing and checksums follow that endpoint
            effective = cfg
            if cfg.endpoint_url is None:
                effective = cfg.replace(endpoint_url=configured_endpoint(session))
            # validated by BucketConfig; botocore's stubs want the literals back
            addressing = cast(
                "Literal['auto', 'virtual', 'path']", effective.effective_addressing_style
            )
            checksum = cast(
                "Literal['when_supported', 'when_required']", effective.effective_checksum_mode
            )
            botocore_config = Config(
                region_name=cfg.region,
                signature_version=cfg.signature_version,
                s3={"addressing_style": addressing},
                retries={"total_max_attempts": cfg.max_retries + 1, "mode": cfg.retry_mode},
                connect_timeout=cfg.connect_timeout,
                read_timeout=cfg.read_timeout,
                max_pool_connections=cfg.pool_size,
                request_checksum_calculation=checksum,
                response_checksum_validation=checksum,
                user_agent_extra="bucket",
            )
            client = session.client(
                "s3",
                endpoint_url=cfg.endpoint_url,
                verify=cfg.verify_ssl,
                config=botocore_config,
            )
            self._session, self._botocore_config = session, botocore_config
            spans = tracing.spans_for(cfg.tracing, cfg.region, client.meta.endpoint_url)
            deadline.install(
                client, connect_timeout=cfg.connect_timeout, read_timeout=cfg.read_timeout
            )
            # after botocore's own 'before-call.s3' handler that adds the header
            client.meta.events.register_last("before-call.s3", _no_expect_for_small_bodies)
            listing_xml.install(client)
            if spans is not None:
                tracing.install(client, spans)
            self.spans = spans
            if self.engine == "obstore":
                if self._watch_hooks:  # the handlers registered so far: the baseline
                    self._hooks = SendHooks(client)
                self._plane = ObstorePlane(cfg, session, effective.endpoint_url, spans=spans)
        except BotoCoreError as exc:
            from botocore.exceptions import ProfileNotFound

            from backend.src.libs.bucket.s3.credentials import profile_not_found

            if isinstance(exc, ProfileNotFound):
                raise profile_not_found(cfg) from exc
            raise translate(exc, operation="connect") from exc
        for secret in (cfg.secret_key, cfg.session_token):
            redact.register(secret)
        if cfg.sse_customer_key:
            redact.register(cfg.sse_customer_key)
            redact.register(sse_customer_key_bytes(cfg.sse_customer_key))
        redact.install()
        log.debug("S3 client ready: %s", cfg.endpoint_url or "AWS S3")
        return client

    def close(self) -> None:
        """Drop the client, the ``public_url`` signer and the plane; the next use builds
        new ones. An injected client is kept open (its owner closes it). Idempotent."""
        with self._lock:
            client, self._client = self._client, None
            signer, self._signer = self._signer, None
            plane, self._plane = self._plane, None
            self._hooks = None
        if plane is not None:
            plane.close()
        if signer is not None:
            with contextlib.suppress(Exception):
                signer.close()
        if client is not None and not self._injected:
            with contextlib.suppress(Exception):
                client.close()

    def ping(self) -> float:
        """One request (HeadBucket on the default bucket, else ListBuckets); returns seconds.

        A HeadBucket refused with 403 makes one more request (``check_denied``): a bucket
        these credentials may not HEAD is no failure of the connection, refused
        credentials are.

        Raises:
            StorageError: the server cannot be reached or refuses the credentials
                (``AuthenticationFailed``, naming the setting that holds the secret).
        """
        bucket = self.config.default_bucket
        with self.translating("ping", bucket):
            client = self.client  # built first: the latency is the requests' alone
        started = time.perf_counter()
        if not bucket:
            with self.translating("ping"):
                client.list_buckets()
            return time.perf_counter() - started
        try:
            with self.translating("ping", bucket):
                client.head_bucket(Bucket=bucket)
        except PermissionDenied as denied:
            self.check_denied(denied, "ping")
        return time.perf_counter() - started

    def check_denied(self, denied: PermissionDenied, operation: str) -> None:
        """Tell refused credentials from a refused request after a 403 that does not say
        which (a HEAD answer has no body): one ListBuckets. The server checks the
        signature before the policy, so an answer or an ``AccessDenied`` means the
        credentials are good and ``denied`` is about the bucket only: this returns.

        Raises:
            AuthenticationFailed: ``denied`` itself when it already is one; else the
                server refused ListBuckets' credentials, the message naming the variable
                that set the secret (or key, or token), never the value.
            StorageError: ListBuckets failed otherwise.
        """
        if isinstance(denied, AuthenticationFailed):
            raise denied
        try:
            with self.translating(operation, denied.bucket):
                self.client.list_buckets()
        except AuthenticationFailed as refused:
            named = self._named(refused)
            if named is refused:
                raise
            raise named from refused
        except PermissionDenied:
            return  # AccessDenied: the signature was accepted

    def _named(self, refused: AuthenticationFailed) -> AuthenticationFailed:
        """``refused`` with the variable that set the credential it is about added to its
        message (``the secret in use is set by BUCKET_PASSWORD``)."""
        field, what = _REFUSED_FIELD.get(refused.code, ("secret_key", "secret"))
        variable = self.config.sources.get(field, "")
        if not _VARIABLE.fullmatch(variable):
            return refused  # given explicitly, or found by boto3's chain: no variable
        return AuthenticationFailed(
            f"{refused.message} (the {what} in use is set by {variable})",
            code=refused.code,
            bucket=refused.bucket,
            key=refused.key,
            request_id=refused.request_id,
            status=refused.status,
        )

    @contextlib.contextmanager
    def translating(
        self,
        operation: str,
        bucket: str | None = None,
        key: str | None = None,
        *,
        since: float | None = None,
    ) -> Iterator[None]:
        """Turn any botocore or network error raised inside into a ``StorageError``; an
        error that follows an attempt cut by its deadline (``deadline.py``) at or after
        ``since`` (default: now) is a ``ConnectionFailed`` with code ``DeadlineExceeded``."""
        started = time.monotonic() if since is None else since
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            if deadline.WATCHDOG.expired_since(started):
                raise self.deadline_error(operation, bucket, key) from exc
            error = translate(exc, bucket=bucket, key=key, operation=operation)
            timed_out = isinstance(exc, EngineError) and error.code == "Timeout"
            if timed_out and self._outlived_deadlines(started):
                raise self.deadline_error(operation, bucket, key) from exc
            raise error from exc

    def _outlived_deadlines(self, started: float) -> bool:
        """True when an obstore call that timed out took, per attempt, longer than
        silence explains (connect + read timeout): it hit ``s3.obstore``'s deadline."""
        cfg = self.config
        per_attempt = (time.monotonic() - started) / (cfg.max_retries + 1)
        return per_attempt >= cfg.connect_timeout + cfg.read_timeout

    def deadline_error(
        self, operation: str, bucket: str | None, key: str | None
    ) -> ConnectionFailed:
        cfg = self.config
        bound = deadline.attempt_bound(cfg.connect_timeout, cfg.read_timeout)
        return ConnectionFailed(
            f"{operation}: the server answered too slowly: an attempt outlived its deadline "
            f"({bound:g} s plus 1 s per 64 KiB moved; BUCKET_CONNECT_TIMEOUT + "
            "BUCKET_READ_TIMEOUT) and the connection was closed",
            code="DeadlineExceeded",
            bucket=bucket,
            key=key,
        )

    # ---------------------------------------------------------------- keys
    def key(self, key: str, bucket: str, argument: str = "key", *, deleting: bool = False) -> str:
        """The key as sent (under the prefix), checked before any request (``check_key``;
        ``BUCKET_PORTABLE_KEYS`` adds ``check_portable_key``, which lets a folder marker
        through when ``deleting``).

        Raises:
            InvalidArgument: the key breaks a rule (the message names it).
        """
        portable = self.config.portable_keys
        check_key(key, argument=argument, bucket=bucket, portable=portable, marker=deleting)
        full = self.prefix + key
        if self.prefix:
            check_key(full, argument=argument, bucket=bucket)
        return full

    def unprefix(self, key: str) -> str:
        return key[len(self.prefix) :] if self.prefix and key.startswith(self.prefix) else key

    @property
    def signing_client(self) -> S3Client:
        """The client presigned URLs are signed with: the store's own, or one built for
        ``public_url`` (same credentials and settings; it sends no request)."""
        if not self.config.public_url or self._injected:
            return self.client
        signer = self._signer
        if signer is None:
            _ = self.client  # builds the session and botocore config
            session = self._session
            assert session is not None  # set with the client, never cleared
            with self._lock:
                signer = self._signer
                if signer is None:
                    with self.translating("presign"):
                        signer = self._signer = session.client(
                            "s3",
                            endpoint_url=self.config.public_url,
                            verify=self.config.verify_ssl,
                            config=self._botocore_config,
                        )
        return signer

    def path_style_credentials(self, signer: S3Client) -> ReadOnlyCredentials | None:
        """Frozen credentials for ``presign.presign_path_style`` and ``signed_head`` when
        they apply (SigV4, a custom path-style endpoint and a session we built), else None."""
        if (
            self._session is None
            or self.config.signature_version != "s3v4"
            or self.config.is_aws
            or self.config.effective_addressing_style != "path"
            or not signer.meta.endpoint_url
        ):
            return None
        credentials = self._session.get_credentials()
        return None if credentials is None else credentials.get_frozen_credentials()


SMALL_BODY = 1024 * 1024
"""Bodies up to this size go without ``Expect: 100-continue``."""


def _no_expect_for_small_bodies(
    params: dict[str, object], model: object = None, **_: object
) -> None:
    """Drop botocore's ``Expect: 100-continue`` from PUTs of at most ``SMALL_BODY`` bytes:
    against a silent server botocore waits 1 s for ``100 Continue`` on every attempt, more
    than sending a small body costs."""
    headers = params.get("headers") or {}
    if (
        not isinstance(headers, MutableMapping)
        or "Expect" not in headers
        or getattr(model, "name", None) not in ("PutObject", "UploadPart")
    ):
        return
    from botocore.utils import determine_content_length

    size = determine_content_length(params.get("body"))
    if size is not None and size <= SMALL_BODY:
        del headers["Expect"]
