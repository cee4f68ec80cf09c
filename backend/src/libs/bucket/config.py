"""Every setting of the bucket module, read from a mapping and validated.

``BucketConfig.from_env()`` reads ``os.environ`` and a ``.env`` file (python-dotenv);
tests pass a plain dict instead. Precedence, highest first:

1. explicit values (``BucketConfig(...)`` or ``from_env(..., region="eu-west-3")``);
2. the ``BUCKET_*`` variables;
3. the aliases used by other deployments (``S3_*``, ``AWS_*``);
4. boto3's own chain (shared profile files, container and instance roles), which
   applies when no key is configured at all.

Invalid values raise ``ConfigError`` naming the variable. Nothing is read or
validated at import time. ``repr`` masks the secret key, password and session token.
The full list lives in ``docs/configuration.md``.
"""

from __future__ import annotations

import configparser
import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from backend.src.libs.bucket.errors import ConfigError
from backend.src.libs.core import settings
from backend.src.libs.core.settings import read_environ

StorageType = Literal["s3", "local"]
AddressingStyle = Literal["auto", "path", "virtual"]
ChecksumMode = Literal["auto", "when_required", "when_supported"]
RetryMode = Literal["standard", "adaptive", "legacy"]

MiB = 1024 * 1024
SIGNATURE_VERSIONS = ("s3v4", "s3")
_SECRET_FIELDS = ("secret_key", "session_token", "sse_customer_key")
_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# field name -> variables that can set it, highest precedence first
VARIABLES: dict[str, tuple[str, ...]] = {
    "storage_type": ("BUCKET_STORAGE_TYPE", "STORAGE_TYPE"),
    "endpoint_url": (
        "BUCKET_ENDPOINT_URL",
        "S3_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL",
    ),
    "host": ("BUCKET_HOST",),
    "port": ("BUCKET_PORT",),
    "scheme": ("BUCKET_SCHEME",),
    "access_key": ("BUCKET_USER", "BUCKET_ACCESS_KEY", "S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
    "secret_key": (
        "BUCKET_PASSWORD",
        "BUCKET_SECRET_KEY",
        "S3_SECRET_KEY",
        "AWS_SECRET_ACCESS_KEY",
    ),
    "session_token": ("BUCKET_SESSION_TOKEN", "AWS_SESSION_TOKEN"),
    "profile": ("BUCKET_PROFILE", "AWS_PROFILE"),
    "region": ("BUCKET_REGION", "S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    "signature_version": ("BUCKET_SIGNATURE_VERSION", "S3_SIGNATURE_VERSION"),
    "addressing_style": ("BUCKET_ADDRESSING_STYLE", "S3_ADDRESSING_STYLE"),
    "checksum_mode": ("BUCKET_CHECKSUM_MODE",),
    "verify_ssl": ("BUCKET_VERIFY_SSL", "S3_VERIFY_SSL"),
    "max_retries": ("BUCKET_MAX_RETRIES", "S3_MAX_RETRIES"),
    "retry_mode": ("BUCKET_RETRY_MODE", "AWS_RETRY_MODE"),
    "connect_timeout": ("BUCKET_CONNECT_TIMEOUT", "S3_CONNECT_TIMEOUT"),
    "read_timeout": ("BUCKET_READ_TIMEOUT", "S3_READ_TIMEOUT"),
    "max_pool_connections": ("BUCKET_MAX_POOL_CONNECTIONS", "S3_MAX_POOL_CONNECTIONS"),
    "max_workers": ("BUCKET_MAX_WORKERS", "S3_MAX_WORKERS"),
    "multipart_threshold": ("BUCKET_MULTIPART_THRESHOLD", "S3_MULTIPART_THRESHOLD"),
    "multipart_chunksize": ("BUCKET_MULTIPART_CHUNKSIZE", "S3_MULTIPART_CHUNKSIZE"),
    "default_bucket": ("BUCKET_NAME", "S3_BUCKET_NAME"),
    "prefix": ("BUCKET_KEY_PREFIX", "BUCKET_PREFIX", "S3_PREFIX"),
    "public_url": ("BUCKET_PUBLIC_URL", "S3_PUBLIC_URL"),
    "local_root": ("BUCKET_LOCAL_ROOT",),
    # encryption and storage class applied to every write unless a call says otherwise
    "sse": ("BUCKET_SSE", "S3_SSE"),
    "sse_kms_key_id": ("BUCKET_SSE_KMS_KEY_ID", "S3_SSE_KMS_KEY_ID"),
    "sse_customer_key": ("BUCKET_SSE_CUSTOMER_KEY", "S3_SSE_CUSTOMER_KEY"),
    "storage_class": ("BUCKET_STORAGE_CLASS", "S3_STORAGE_CLASS"),
    # assume role (STS) on top of whatever credentials the chain found
    "role_arn": ("BUCKET_ROLE_ARN", "AWS_ROLE_ARN"),
    "role_session_name": ("BUCKET_ROLE_SESSION_NAME", "AWS_ROLE_SESSION_NAME"),
    "role_external_id": ("BUCKET_ROLE_EXTERNAL_ID",),
    "role_duration": ("BUCKET_ROLE_DURATION",),
    # the default bucket made ready when the store is first used, and how
    "auto_create": ("BUCKET_AUTO_CREATE",),
    "create_preset": ("BUCKET_CREATE_PRESET",),
    # what ensure_bucket sets up on a bucket it creates
    "create_versioning": ("BUCKET_CREATE_VERSIONING",),
    "create_encryption": ("BUCKET_CREATE_ENCRYPTION",),
    "create_object_lock": ("BUCKET_CREATE_OBJECT_LOCK",),
    "create_lifecycle": ("BUCKET_CREATE_LIFECYCLE",),
    "lifecycle_transitions": ("BUCKET_LIFECYCLE_TRANSITIONS",),
    "lifecycle_expiration_days": ("BUCKET_LIFECYCLE_EXPIRATION_DAYS",),
    "lifecycle_abort_multipart_days": ("BUCKET_LIFECYCLE_ABORT_MULTIPART_DAYS",),
}

SSE_ALGORITHMS = ("AES256", "aws:kms")
_SSE_ALIASES = {
    "aes256": "AES256",
    "sse-s3": "AES256",
    "s3": "AES256",
    "aws:kms": "aws:kms",
    "sse-kms": "aws:kms",
    "kms": "aws:kms",
}
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
# settings that point at S3: any of them selects the S3 store when STORAGE_TYPE is unset
_S3_SIGN_FIELDS = (
    "host",
    "endpoint_url",
    "default_bucket",
    "region",
    "access_key",
    "secret_key",
    "profile",
    "role_arn",
)
_S3_SIGN_VARIABLES = (
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
# what BUCKET_CREATE_PRESET=archive sets up (seed 002); BUCKET_CREATE_* variables win
CREATE_PRESETS: dict[str, dict[str, Any]] = {
    "none": {},
    "archive": {
        "create_versioning": True,
        "create_encryption": "AES256",
        "create_lifecycle": True,
        "lifecycle_transitions": ((30, "STANDARD_IA"), (90, "GLACIER")),
        "lifecycle_expiration_days": 365,
        "lifecycle_abort_multipart_days": 7,
    },
}
_ROLE_ARN_RE = re.compile(r"^arn:[a-z0-9-]+:iam::[0-9a-zA-Z_-]*:role/.+$")


@dataclass(frozen=True, repr=False)
class BucketConfig:
    """Validated settings of one store. Frozen; build with ``from_env`` or directly.

    Attributes:
        storage_type: ``"s3"`` or ``"local"``. ``STORAGE_TYPE`` (or ``BUCKET_STORAGE_TYPE``)
            decides when set. Otherwise (``from_env``) any setting that points at S3
            selects ``"s3"`` (see ``s3_signs``); ``"local"`` only when none does. Built
            directly, the default is ``"s3"``.
        endpoint_url: full URL of a non-AWS endpoint (``http://127.0.0.1:9000``);
            ``None`` means AWS S3. Built from ``host``/``port``/``scheme`` when not given.
        access_key, secret_key, session_token: static credentials; ``None`` lets boto3's
            chain (profile, container or instance role) find them.
        profile: a named profile of the shared AWS files.
        region: default ``"us-east-1"``.
        signature_version: ``"s3v4"`` (default) or the legacy ``"s3"``.
        addressing_style: ``"auto"`` (path-style for custom endpoints, virtual-hosted
            for AWS), ``"path"`` or ``"virtual"``.
        checksum_mode: ``"auto"`` (``when_required`` for custom endpoints, which older
            MinIO and Ceph need; ``when_supported`` for AWS) or either value.
        verify_ssl: verify TLS certificates (default True) or a CA bundle path.
        max_retries: botocore retries after the first attempt (default 3).
        retry_mode: botocore retry mode, ``"standard"`` (default) or ``"adaptive"``.
        connect_timeout, read_timeout: seconds (defaults 5 and 60).
        max_pool_connections: HTTP pool size (default 10; raised to ``max_workers``).
        max_workers: threads for multipart and many-object transfers (default 8).
        multipart_threshold, multipart_chunksize: bytes (defaults 8 MiB each).
        default_bucket: the service's bucket (optional): the one ``ping``/``health_check``
            probe, ``BUCKET_AUTO_CREATE`` prepares and the CLI uses when a path names
            none. Store and facade methods always take their bucket explicitly.
        prefix: the folder every key of the store lives under (optional):
            ``design-analysis`` stores ``a/b`` as ``design-analysis/a/b`` (see
            ``key_prefix``). A leading ``/`` or a ``.``/``..`` part is a ``ConfigError``.
        public_url: the endpoint browsers and other containers use, for presigning.
        local_root: the folder of the local store (default ``./.bucket-data``).
        sse: server-side encryption of every write: ``"AES256"`` (SSE-S3; also
            ``sse-s3``) or ``"aws:kms"`` (SSE-KMS; also ``sse-kms``). Default None.
        sse_kms_key_id: the KMS key of SSE-KMS writes (default: the server's key).
        sse_customer_key: SSE-C key used for every write and read: 32 raw bytes given as
            64 hex digits or base64 (secret, masked). Default None.
        storage_class: storage class of every write (default: the server's, STANDARD).
        role_arn: assume this IAM role through STS on top of the credentials found
            (refreshed before expiry). Default None.
        role_session_name: default ``"bucket"``. role_external_id: default None.
        role_duration: seconds, 900..43200 (default 3600).
        auto_create: make sure ``default_bucket`` exists (created and set up with the
            ``create_*`` settings) on ``connect()`` and the first operation of the
            ``Bucket`` facade (``BUCKET_AUTO_CREATE``, default True).
        create_preset: a named set of ``create_*`` values (``BUCKET_CREATE_PRESET``):
            ``archive`` = versioning, AES256 default encryption and the lifecycle policy
            below (30 d STANDARD_IA, 90 d GLACIER, expire 365 d, abort incomplete multipart
            uploads after 7 d), under the key prefix; ``none``. Default None. Any
            ``BUCKET_CREATE_*``/``BUCKET_LIFECYCLE_*`` variable set beside it wins.
        create_versioning, create_encryption, create_object_lock, create_lifecycle:
            what ``ensure_bucket`` sets on a bucket it creates (defaults off).
        lifecycle_transitions: ``(days, storage class)`` pairs of the creation lifecycle
            policy (default 30 days STANDARD_IA, 90 days GLACIER), from
            ``BUCKET_LIFECYCLE_TRANSITIONS="30:STANDARD_IA,90:GLACIER"`` (``none`` for none).
        lifecycle_expiration_days: expire objects after this many days (default 365; 0 = never).
        lifecycle_abort_multipart_days: abort incomplete multipart uploads after this many
            days (default 7; 0 = never).
    """

    storage_type: StorageType = "s3"
    endpoint_url: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    session_token: str | None = None
    profile: str | None = None
    region: str = "us-east-1"
    signature_version: str = "s3v4"
    addressing_style: AddressingStyle = "auto"
    checksum_mode: ChecksumMode = "auto"
    verify_ssl: bool | str = True
    max_retries: int = 3
    retry_mode: RetryMode = "standard"
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_pool_connections: int = 10
    max_workers: int = 8
    multipart_threshold: int = 8 * MiB
    multipart_chunksize: int = 8 * MiB
    default_bucket: str | None = None
    prefix: str = ""
    public_url: str | None = None
    local_root: str = "./.bucket-data"
    sse: str | None = None
    sse_kms_key_id: str | None = None
    sse_customer_key: str | None = None
    storage_class: str | None = None
    role_arn: str | None = None
    role_session_name: str = "bucket"
    role_external_id: str | None = None
    role_duration: int = 3600
    auto_create: bool = True
    create_preset: str | None = None
    create_versioning: bool = False
    create_encryption: str | None = None
    create_object_lock: bool = False
    create_lifecycle: bool = False
    lifecycle_transitions: tuple[tuple[int, str], ...] = ((30, "STANDARD_IA"), (90, "GLACIER"))
    lifecycle_expiration_days: int | None = 365
    lifecycle_abort_multipart_days: int | None = 7
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Which variable set each field (for messages and ``describe``)."""
    s3_signs: tuple[str, ...] = field(default=(), compare=False)
    """The settings that point at S3 (variable names, ``name (explicit)``, or a shared
    AWS file with a ``[default]`` profile), as ``from_env`` found them."""

    def __post_init__(self) -> None:
        self._validate()

    # ---------------------------------------------------------------- building
    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        env_file: str | os.PathLike[str] | None = ".env",
        **overrides: Any,
    ) -> BucketConfig:
        """Read the settings from a mapping.

        Args:
            environ: the variables to read. Default: ``os.environ`` over the values of
                ``env_file`` (the process environment wins). When a mapping is given,
                only that mapping is read.
            env_file: the ``.env`` file read when ``environ`` is None (default ``.env``
                in the working directory; a missing file is fine; None skips it).
            **overrides: explicit field values; they win over every variable.

        Raises:
            ConfigError: a value is invalid; the message names the variable.
        """
        env = read_environ(environ, env_file)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, variables in VARIABLES.items():
            for var in variables:
                raw = env.get(var)
                if raw is not None and raw.strip() != "":
                    values[name] = raw.strip()
                    sources[name] = var
                    break
        _check_storage_type_variables(env)
        for name, value in overrides.items():
            if name not in VARIABLES and name not in {f.name for f in dataclasses.fields(cls)}:
                raise ConfigError(f"unknown setting {name!r}")
            if value is not None:
                values[name] = value
                sources[name] = "explicit"
        signs = s3_signs(env, overrides)
        return cls._from_values(values, sources, signs=signs)

    @classmethod
    def _from_values(
        cls, values: dict[str, Any], sources: dict[str, str], *, signs: tuple[str, ...] = ()
    ) -> BucketConfig:
        def var(name: str) -> str:
            return sources.get(name, VARIABLES.get(name, (name,))[0])

        kwargs: dict[str, Any] = {"sources": dict(sources), "s3_signs": signs}
        endpoint = values.pop("endpoint_url", None)
        host = values.pop("host", None)
        port = values.pop("port", None)
        scheme = values.pop("scheme", None)
        if endpoint is None and host is not None:
            endpoint = _endpoint_from_host(str(host), port, scheme, var)
            sources["endpoint_url"] = var("host")
        elif port is not None or scheme is not None:
            if port is not None:
                settings.parse_int(port, var("port"), ConfigError, low=1, high=65535)
            if scheme is not None:
                _check_scheme(str(scheme), var("scheme"))
        if endpoint is not None:
            kwargs["endpoint_url"] = _check_url(str(endpoint), var("endpoint_url"))
        for name in ("max_retries",):
            if name in values:
                kwargs[name] = settings.parse_int(
                    values.pop(name), var(name), ConfigError, low=0, high=50
                )
        for name in ("max_pool_connections", "max_workers"):
            if name in values:
                kwargs[name] = settings.parse_int(
                    values.pop(name), var(name), ConfigError, low=1, high=1024
                )
        for name in ("multipart_threshold", "multipart_chunksize"):
            if name in values:
                kwargs[name] = _parse_size(values.pop(name), var(name))
        for name in ("connect_timeout", "read_timeout"):
            if name in values:
                kwargs[name] = settings.parse_float(values.pop(name), var(name), ConfigError)
        if "verify_ssl" in values:
            kwargs["verify_ssl"] = _parse_verify(values.pop("verify_ssl"), var("verify_ssl"))
        _parse_feature_values(values, kwargs, var)
        if "storage_type" not in values:
            values["storage_type"] = "s3" if signs else "local"
        for name, value in values.items():
            kwargs[name] = value.lower() if name in _LOWERCASE and isinstance(value, str) else value
        try:
            return cls(**kwargs)
        except ConfigError:
            raise
        except TypeError as exc:  # wrong type passed explicitly
            raise ConfigError(f"invalid setting: {exc}") from exc

    def replace(self, **changes: Any) -> BucketConfig:
        """Return a copy with ``changes`` applied (validated again)."""
        sources = dict(self.sources)
        sources.update({name: "explicit" for name in changes})
        return dataclasses.replace(self, sources=sources, **changes)

    # -------------------------------------------------------------- validation
    def _var(self, name: str) -> str:
        return self.sources.get(name) or VARIABLES.get(name, (name,))[0]

    def _validate(self) -> None:
        if self.storage_type not in ("s3", "local"):
            raise ConfigError(
                f"{self._var('storage_type')} must be 's3' or 'local', not {self.storage_type!r}"
            )
        if self.endpoint_url is not None:
            _check_url(self.endpoint_url, self._var("endpoint_url"))
        if self.public_url is not None:
            _check_url(self.public_url, self._var("public_url"))
        if not isinstance(self.region, str) or not _REGION_RE.match(self.region):
            raise ConfigError(
                f"{self._var('region')} must be a region name such as 'us-east-1' "
                f"(lowercase letters, digits and hyphens), not {self.region!r}"
            )
        if self.signature_version not in SIGNATURE_VERSIONS:
            raise ConfigError(
                f"{self._var('signature_version')} must be one of {', '.join(SIGNATURE_VERSIONS)}, "
                f"not {self.signature_version!r}"
            )
        _check_choice(
            self.addressing_style, ("auto", "path", "virtual"), self._var("addressing_style")
        )
        _check_choice(
            self.checksum_mode,
            ("auto", "when_required", "when_supported"),
            self._var("checksum_mode"),
        )
        _check_choice(self.retry_mode, ("standard", "adaptive", "legacy"), self._var("retry_mode"))
        for name in ("connect_timeout", "read_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(
                    f"{self._var(name)} must be a positive number of seconds, not {value!r}"
                )
        for name, low in (
            ("max_retries", 0),
            ("max_pool_connections", 1),
            ("max_workers", 1),
            ("multipart_threshold", 5 * MiB),
            ("multipart_chunksize", 5 * MiB),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{self._var(name)} must be an integer >= {low}, not {value!r}")
        if (self.access_key is None) != (self.secret_key is None):
            missing = "secret_key" if self.secret_key is None else "access_key"
            raise ConfigError(
                f"{self._var(missing)} is not set: the access key and the secret key go together"
            )
        _check_prefix(self.prefix, self._var("prefix"))
        if not self.local_root:
            raise ConfigError(f"{self._var('local_root')} must name a folder")
        self._validate_features()

    def _validate_features(self) -> None:
        if self.create_preset is not None and self.create_preset not in CREATE_PRESETS:
            raise ConfigError(
                f"{self._var('create_preset')} must be one of {', '.join(CREATE_PRESETS)}, "
                f"not {self.create_preset!r}"
            )
        if self.sse is not None and self.sse not in SSE_ALGORITHMS:
            raise ConfigError(
                f"{self._var('sse')} must be AES256 (sse-s3) or aws:kms (sse-kms), not {self.sse!r}"
            )
        if self.create_encryption is not None and self.create_encryption not in SSE_ALGORITHMS:
            raise ConfigError(
                f"{self._var('create_encryption')} must be AES256 (sse-s3) or aws:kms (sse-kms), "
                f"not {self.create_encryption!r}"
            )
        if self.sse_kms_key_id is not None and self.sse != "aws:kms":
            raise ConfigError(f"{self._var('sse_kms_key_id')} needs {self._var('sse')}=aws:kms")
        if self.sse_customer_key is not None:
            if self.sse is not None:
                raise ConfigError(
                    f"{self._var('sse_customer_key')} (SSE-C) and {self._var('sse')} exclude each other"
                )
            sse_customer_key_bytes(self.sse_customer_key, self._var("sse_customer_key"))
        if self.storage_class is not None and self.storage_class not in STORAGE_CLASSES:
            raise ConfigError(
                f"{self._var('storage_class')} must be one of {', '.join(STORAGE_CLASSES)}, "
                f"not {self.storage_class!r}"
            )
        if self.role_arn is not None and not _ROLE_ARN_RE.match(self.role_arn):
            raise ConfigError(
                f"{self._var('role_arn')} must be an IAM role ARN such as "
                f"arn:aws:iam::123456789012:role/name, not {self.role_arn!r}"
            )
        if not re.match(r"^[\w+=,.@-]{2,64}$", self.role_session_name or ""):
            raise ConfigError(
                f"{self._var('role_session_name')} must be 2-64 characters of letters, digits "
                f"and +=,.@_-, not {self.role_session_name!r}"
            )
        if self.role_external_id is not None and not 2 <= len(self.role_external_id) <= 1224:
            raise ConfigError(f"{self._var('role_external_id')} must be 2-1224 characters long")
        duration = self.role_duration
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int)
            or not 900 <= duration <= 43200
        ):
            raise ConfigError(
                f"{self._var('role_duration')} must be between 900 and 43200 seconds, not {duration!r}"
            )
        previous = 0
        for days, storage_class in self.lifecycle_transitions:
            if (
                not isinstance(days, int)
                or days <= previous
                or storage_class not in STORAGE_CLASSES
            ):
                raise ConfigError(
                    f"{self._var('lifecycle_transitions')} must list increasing 'days:CLASS' "
                    f"pairs with known storage classes, not {self.lifecycle_transitions!r}"
                )
            previous = days
        for name in ("lifecycle_expiration_days", "lifecycle_abort_multipart_days"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(
                    f"{self._var(name)} must be a positive number of days, not {value!r}"
                )
        expire = self.lifecycle_expiration_days
        if expire is not None and self.lifecycle_transitions and expire <= previous:
            raise ConfigError(
                f"{self._var('lifecycle_expiration_days')} ({expire}) must come after the last "
                f"transition ({previous} days)"
            )

    # ---------------------------------------------------------------- derived
    @property
    def key_prefix(self) -> str:
        """``prefix`` as a folder: ``""`` or the prefix ending in exactly one ``/``
        (``design-analysis`` and ``design-analysis/`` both give ``design-analysis/``).
        Keys, listings and lifecycle filters of both stores go under it."""
        folder = self.prefix.rstrip("/")
        return f"{folder}/" if folder else ""

    @property
    def selected_by(self) -> str:
        """Why this store type was chosen, for logs, ``health`` and ``doctor``:
        ``STORAGE_TYPE=local``, ``S3_BUCKET_NAME, AWS_REGION`` or ``no setting points at S3``."""
        chosen = self.sources.get("storage_type")
        if chosen is not None:
            return f"{chosen}={self.storage_type}"
        if self.storage_type == "s3":
            return ", ".join(self.s3_signs) or "BucketConfig(storage_type='s3')"
        return "no setting points at S3"

    @property
    def is_aws(self) -> bool:
        """True when talking to AWS S3 itself (no custom endpoint)."""
        return self.endpoint_url is None or ".amazonaws.com" in self.endpoint_url

    @property
    def effective_addressing_style(self) -> str:
        """``path`` for custom endpoints, ``virtual`` for AWS, unless set."""
        if self.addressing_style != "auto":
            return self.addressing_style
        return "virtual" if self.is_aws else "path"

    @property
    def effective_checksum_mode(self) -> str:
        """``when_required`` for non-AWS endpoints, ``when_supported`` for AWS, unless set."""
        if self.checksum_mode != "auto":
            return self.checksum_mode
        return "when_supported" if self.is_aws else "when_required"

    @property
    def pool_size(self) -> int:
        """HTTP pool size: at least the number of worker threads."""
        return max(self.max_pool_connections, self.max_workers)

    def describe(self) -> dict[str, Any]:
        """The settings as a dict for logs and ``doctor``; secrets masked."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            out[f.name] = settings.mask(value) if f.name in _SECRET_FIELDS else value
        return out

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            shown = settings.mask(value) if f.name in _SECRET_FIELDS else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"BucketConfig({', '.join(parts)})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """The secret values this config holds (for tests that check nothing leaks)."""
        return tuple(v for v in (self.secret_key, self.session_token, self.sse_customer_key) if v)


_LOWERCASE = {
    "storage_type",
    "addressing_style",
    "checksum_mode",
    "retry_mode",
    "signature_version",
}


def _check_prefix(prefix: Any, var: str) -> None:
    """A key prefix is a relative folder path: no leading ``/``, no ``.``/``..`` part,
    no empty part inside, no NUL."""
    if not isinstance(prefix, str):
        raise ConfigError(f"{var} must be a folder path, not {prefix!r}")
    if not prefix:
        return
    parts = prefix.rstrip("/").split("/")
    if prefix.startswith("/") or "\x00" in prefix or any(p in ("", ".", "..") for p in parts):
        raise ConfigError(
            f"{var} must be a folder path such as 'design-analysis' (no leading '/', "
            f"no '.' or '..' part, no '//'), not {prefix!r}"
        )


def _check_storage_type_variables(env: Mapping[str, str]) -> None:
    """``BUCKET_STORAGE_TYPE`` and ``STORAGE_TYPE`` set to different values: an error."""
    given = {
        var: env[var].strip().lower()
        for var in VARIABLES["storage_type"]
        if env.get(var) is not None and env[var].strip() != ""
    }
    if len(set(given.values())) > 1:
        shown = " and ".join(f"{var}={value}" for var, value in given.items())
        raise ConfigError(f"{shown} contradict each other: set only one of them")


def s3_signs(env: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The settings in ``env`` (and explicit ``overrides``) that point at S3.

    Any of them selects the S3 store when ``STORAGE_TYPE`` is not set: ``BUCKET_HOST``,
    an endpoint, a bucket name, a region, access keys, a profile, a role ARN, a
    web-identity token file, container-credential variables, or a shared AWS
    credentials/config file with a ``[default]`` profile (``AWS_SHARED_CREDENTIALS_FILE``
    / ``AWS_CONFIG_FILE``, else ``~/.aws/`` under the mapping's ``HOME``).

    Returns:
        Their names, in that order; empty when nothing points at S3.
    """
    found: list[str] = []
    for name in _S3_SIGN_FIELDS:
        if overrides and overrides.get(name) is not None:
            found.append(f"{name} (explicit)")
            continue
        hit = settings.first_set(env, VARIABLES[name])
        if hit is not None:
            found.append(hit[0])
    found.extend(var for var in _S3_SIGN_VARIABLES if (env.get(var) or "").strip())
    found.extend(_shared_file_signs(env))
    return tuple(found)


def _shared_file_signs(env: Mapping[str, str]) -> list[str]:
    home = env.get("HOME") or env.get("USERPROFILE")
    found = []
    for var, default in (
        ("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        ("AWS_CONFIG_FILE", "config"),
    ):
        raw = (env.get(var) or "").strip()
        if raw:
            path, label = Path(raw).expanduser(), f"{var} [default]"
        elif home:
            path, label = Path(home, ".aws", default), f"~/.aws/{default} [default]"
        else:
            continue
        if _has_default_profile(path):
            found.append(label)
    return found


def _has_default_profile(path: Path) -> bool:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return False
    return parser.has_section("default") or parser.has_section("profile default")


def _check_choice(value: Any, choices: tuple[str, ...], var: str) -> None:
    if value not in choices:
        raise ConfigError(f"{var} must be one of {', '.join(choices)}, not {value!r}")


def _check_scheme(scheme: str, var: str) -> str:
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"{var} must be http or https, not {scheme!r}")
    return scheme


def _check_url(url: str, var: str) -> str:
    parts = urlsplit(url)
    _check_scheme(parts.scheme or "(none)", var)
    if not parts.hostname:
        raise ConfigError(f"{var} must be a URL such as http://127.0.0.1:9000, not {url!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{var} has an invalid port: {url!r}") from exc
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"{var} has a port outside 1-65535: {url!r}")
    return url.rstrip("/")


def _endpoint_from_host(host: str, port: Any, scheme: Any, var: Any) -> str:
    if "://" in host:
        parts = urlsplit(host)
        scheme = scheme or parts.scheme
        host_only = parts.hostname or ""
        if port is None and parts.port is not None:
            port = parts.port
    else:
        host_only = host
        if ":" in host and not host.startswith("["):
            host_only, _, port_text = host.partition(":")
            port = port if port is not None else port_text
    if not host_only or any(c in host_only for c in " /\\"):
        raise ConfigError(f"{var('host')} must be a host name or address, not {host!r}")
    port_number = (
        None
        if port is None
        else settings.parse_int(port, var("port"), ConfigError, low=1, high=65535)
    )
    scheme = _check_scheme(str(scheme or _default_scheme(host_only, port_number)), var("scheme"))
    netloc = host_only if port_number is None else f"{host_only}:{port_number}"
    return f"{scheme}://{netloc}"


def _default_scheme(host: str, port: int | None) -> str:
    """``https`` for AWS hosts (``amazonaws.com`` and below) and port 443, else ``http``."""
    name = host.lower().rstrip(".")
    aws = name == "amazonaws.com" or name.endswith(".amazonaws.com")
    return "https" if aws or port == 443 else "http"


_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kKmMgG]i?[bB]?|[bB])?\s*$")
_UNITS = {"": 1, "b": 1, "k": 1024, "m": MiB, "g": 1024 * MiB}


def _parse_size(raw: Any, var: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    match = _SIZE_RE.match(str(raw))
    if not match:
        raise ConfigError(f"{var} must be a size in bytes such as 8388608 or 8MiB, not {raw!r}")
    unit = (match.group(2) or "")[:1].lower()
    return int(match.group(1)) * _UNITS[unit]


def _parse_verify(raw: Any, var: str) -> bool | str:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    if Path(text).is_file():
        return text
    raise ConfigError(f"{var} must be true, false or the path of a CA bundle, not {raw!r}")


# ------------------------------------------------------------ feature settings
_BOOL_FIELDS = ("create_versioning", "create_object_lock", "create_lifecycle")


def _parse_feature_values(values: dict[str, Any], kwargs: dict[str, Any], var: Any) -> None:
    """Parse the encryption, role and bucket-creation variables out of ``values``."""
    for name in ("sse", "create_encryption"):
        if name in values and isinstance(values[name], str):
            raw = values.pop(name)
            kwargs[name] = _SSE_ALIASES.get(raw.strip().lower(), raw)
    if "storage_class" in values and isinstance(values["storage_class"], str):
        kwargs["storage_class"] = values.pop("storage_class").strip().upper()
    if "role_duration" in values:
        kwargs["role_duration"] = settings.parse_int(
            values.pop("role_duration"), var("role_duration"), ConfigError, low=900, high=43200
        )
    for name in _BOOL_FIELDS:
        if name in values:
            kwargs[name] = settings.parse_bool(values.pop(name), var(name), ConfigError)
    for name in ("lifecycle_expiration_days", "lifecycle_abort_multipart_days"):
        if name in values:
            raw = values.pop(name)
            days = settings.parse_int(raw, var(name), ConfigError, low=0, high=100000)
            kwargs[name] = days or None
    if "lifecycle_transitions" in values:
        kwargs["lifecycle_transitions"] = _parse_transitions(
            values.pop("lifecycle_transitions"), var("lifecycle_transitions")
        )
    if "auto_create" in values:
        kwargs["auto_create"] = settings.parse_bool(
            values.pop("auto_create"), var("auto_create"), ConfigError
        )
    if "create_preset" in values:
        _apply_preset(values.pop("create_preset"), kwargs, var("create_preset"))


def _apply_preset(raw: Any, kwargs: dict[str, Any], var: str) -> None:
    """Fill the ``create_*`` values of the preset ``raw`` that were not set explicitly."""
    name = str(raw).strip().lower()
    if name not in CREATE_PRESETS:
        raise ConfigError(f"{var} must be one of {', '.join(CREATE_PRESETS)}, not {raw!r}")
    kwargs["create_preset"] = name
    for field_name, value in CREATE_PRESETS[name].items():
        kwargs.setdefault(field_name, value)


def _parse_transitions(raw: Any, var: str) -> tuple[tuple[int, str], ...]:
    if not isinstance(raw, str):
        return tuple((int(d), str(c)) for d, c in raw)
    text = raw.strip()
    if text.lower() in ("", "none", "off"):
        return ()
    out: list[tuple[int, str]] = []
    for part in text.split(","):
        days, sep, storage_class = part.strip().partition(":")
        if not sep or not days.strip().isdigit():
            raise ConfigError(f"{var} must look like '30:STANDARD_IA,90:GLACIER', not {raw!r}")
        out.append((int(days), storage_class.strip().upper()))
    return tuple(out)


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
