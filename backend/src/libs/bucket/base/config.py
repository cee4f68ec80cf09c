"""Every setting of the bucket module, read from a mapping and validated.

``BucketConfig.from_env()`` reads ``os.environ`` and a ``.env`` file (python-dotenv);
tests pass a plain dict instead. Precedence, highest first:

1. explicit values (``BucketConfig(...)`` or ``from_env(..., region="eu-west-3")``);
2. the ``BUCKET_*`` variables;
3. the aliases used by other deployments (``S3_*``, ``AWS_*``);
4. boto3's own chain (shared profile files, container and instance roles), which
   applies when no key is configured at all.

Each setting is declared once in ``SETTINGS`` (``core.declarations``): its variables, kind,
bounds, default, secrecy and doc. Reading, parsing, masking, the tables of
``docs/configuration.md`` and ``.env.example`` follow from it. Invalid values raise
``ConfigError`` naming the variable. Nothing is read or validated at import time.
``repr`` masks the secret key, session token and SSE-C key.
"""

from __future__ import annotations

import configparser
import contextlib
import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeGuard, get_args
from urllib.parse import urlsplit

from backend.src.libs.bucket.base.errors import ConfigError
from backend.src.libs.bucket.base.write_rules import SSE_ALGORITHMS as SSE_ALGORITHMS
from backend.src.libs.bucket.base.write_rules import STORAGE_CLASSES as STORAGE_CLASSES
from backend.src.libs.bucket.base.write_rules import (
    sse_customer_key_bytes as sse_customer_key_bytes,
)
from backend.src.libs.core import settings
from backend.src.libs.core.declarations import (
    DeclaredConfig,
    DirectOrigins,
    Setting,
    SettingSource,
    Table,
)

StorageType = Literal["s3", "local"]
AddressingStyle = Literal["auto", "path", "virtual"]
ChecksumMode = Literal["auto", "when_required", "when_supported"]
RetryMode = Literal["standard", "adaptive", "legacy"]
EngineChoice = Literal["auto", "obstore", "boto3"]

MiB = 1024 * 1024
SIGNATURE_VERSIONS = ("s3v4", "s3")
_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

_SSE_ALIASES = {
    "aes256": "AES256",
    "sse-s3": "AES256",
    "s3": "AES256",
    "aws:kms": "aws:kms",
    "sse-kms": "aws:kms",
    "kms": "aws:kms",
}
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


# ------------------------------------------------------------------ parsers
# Each takes the raw value (text from a variable, or an explicit value) and the name of
# the variable that was read, and raises ConfigError naming it.
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kKmMgG]i?[bB]?|[bB])?\s*$")
_UNITS = {"": 1, "b": 1, "k": 1024, "m": MiB, "g": 1024 * MiB}


def _whole(value: object) -> TypeGuard[int]:
    """An ``int`` that is not a ``bool``."""
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_size(raw: Any, var: str) -> int:
    if _whole(raw):
        return raw
    match = _SIZE_RE.match(str(raw))
    if not match:
        raise ConfigError(f"{var} must be a size in bytes such as 8388608 or 8MiB, not {raw!r}")
    unit = (match.group(2) or "")[:1].lower()
    return int(match.group(1)) * _UNITS[unit]


def _parse_verify(raw: Any, var: str) -> bool | str:
    with contextlib.suppress(ConfigError):  # not a boolean: the path of a CA bundle?
        return settings.parse_bool(raw, var, ConfigError)
    text = str(raw).strip()
    if Path(text).is_file():
        return text
    raise ConfigError(f"{var} must be true, false or the path of a CA bundle, not {raw!r}")


def _parse_sse(raw: Any, var: str) -> object:
    """``sse-s3``/``s3``/``aes256`` -> ``AES256``, ``sse-kms``/``kms`` -> ``aws:kms``;
    anything else as given (checked when the config is built)."""
    return _SSE_ALIASES.get(raw.strip().lower(), raw) if isinstance(raw, str) else raw


def _parse_storage_class(raw: Any, var: str) -> object:
    return raw.strip().upper() if isinstance(raw, str) else raw


def _parse_days(raw: Any, var: str) -> int | None:
    """Days 0-100000; 0 means never (None)."""
    return settings.parse_int(raw, var, ConfigError, low=0, high=100000) or None


def _parse_preset(raw: Any, var: str) -> str:
    name = str(raw).strip().lower()
    if name not in CREATE_PRESETS:
        raise ConfigError(f"{var} must be one of {', '.join(CREATE_PRESETS)}, not {raw!r}")
    return name


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


# ------------------------------------------------------------- declarations
_ENCRYPTION = "`AES256` (SSE-S3, also `sse-s3`) or `aws:kms` (SSE-KMS, also `sse-kms`)"
_SIZE = "bytes or `16MiB`-style; at least 5 MiB"

SETTINGS = Table(
    "bucket",
    (
        Setting(
            "storage_type",
            ("BUCKET_STORAGE_TYPE", "STORAGE_TYPE"),
            "storage backend; the two variables set to different values is a `ConfigError`",
            kind="choice",
            choices=get_args(StorageType),
            default="s3",
            shown_default="`s3` when any setting points at S3, else `local`",
            example="s3",
        ),
        Setting(
            "endpoint_url",
            ("BUCKET_ENDPOINT_URL", "S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
            "full URL of a non-AWS endpoint; built from `BUCKET_HOST`/`PORT`/`SCHEME` when unset",
            form="`http(s)://host[:port]`",
            shown_default="none (AWS S3)",
            example="http://127.0.0.1:9000",
        ),
        Setting(
            "host",
            ("BUCKET_HOST",),
            "host of the endpoint: builds `endpoint_url` when no endpoint variable is set",
            form="host name, `host:port` or a URL",
            example="127.0.0.1",
        ),
        Setting(
            "port",
            ("BUCKET_PORT",),
            "port of `BUCKET_HOST`",
            kind="int",
            low=1,
            high=65535,
            shown_default="none (the scheme's)",
            example="9000",
        ),
        Setting(
            "scheme",
            ("BUCKET_SCHEME",),
            "scheme of a `BUCKET_HOST` given without one",
            kind="choice",
            choices=("http", "https"),
            shown_default="`https` for `amazonaws.com` hosts and port 443, else `http`",
            example="http",
        ),
        Setting(
            "access_key",
            ("BUCKET_USER", "BUCKET_ACCESS_KEY", "S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
            "access key (also MinIO's root user in docker compose); needs the secret key too; "
            "unset = boto3's own chain",
            example="bucket-admin",
        ),
        Setting(
            "secret_key",
            ("BUCKET_PASSWORD", "BUCKET_SECRET_KEY", "S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"),
            "secret key (also MinIO's root password, at least 8 characters)",
            secret=True,
            example="change-me-bucket-secret",
        ),
        Setting(
            "session_token",
            ("BUCKET_SESSION_TOKEN", "AWS_SESSION_TOKEN"),
            "session token of temporary credentials",
            secret=True,
        ),
        Setting(
            "profile",
            ("BUCKET_PROFILE", "AWS_PROFILE"),
            "a named profile of the shared AWS files",
            example="default",
        ),
        Setting(
            "region",
            ("BUCKET_REGION", "S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
            "region (`us-east-1` takes no `LocationConstraint`)",
            form="lowercase letters, digits, hyphens",
            default="us-east-1",
            example="us-east-1",
        ),
        Setting(
            "signature_version",
            ("BUCKET_SIGNATURE_VERSION", "S3_SIGNATURE_VERSION"),
            "request signature: `s3v4`, or the legacy `s3`",
            kind="choice",
            choices=SIGNATURE_VERSIONS,
            default="s3v4",
            example="s3v4",
        ),
        Setting(
            "addressing_style",
            ("BUCKET_ADDRESSING_STYLE", "S3_ADDRESSING_STYLE"),
            "URL style: `auto` = path-style for custom endpoints, virtual-hosted for AWS",
            kind="choice",
            choices=get_args(AddressingStyle),
            default="auto",
            example="auto",
        ),
        Setting(
            "engine",
            ("BUCKET_ENGINE",),
            "data plane of S3 stores: `obstore` (Rust) carries small objects' puts, gets, "
            "heads, deletes and presigned URLs, boto3 the rest (`s3/obstore.py` has the "
            "routing rule); `boto3` = boto3 for everything; `auto` = obstore when installed "
            "and the settings allow it",
            kind="choice",
            choices=get_args(EngineChoice),
            default="auto",
            example="auto",
        ),
        Setting(
            "tracing",
            ("BUCKET_TRACING",),
            "OpenTelemetry: one span per S3 request, named as opentelemetry-instrumentation-"
            "botocore names them (`S3.PutObject`), from the global tracer provider, whatever "
            "the engine, when `opentelemetry-api` is installed (the `otel` extra); `false` = "
            "none (`s3/tracing.py`)",
            kind="bool",
            default=True,
            example="true",
        ),
        Setting(
            "checksum_mode",
            ("BUCKET_CHECKSUM_MODE",),
            "checksums: `auto` = `when_required` for custom endpoints (older MinIO and Ceph "
            "reject boto3's default CRC32 headers), `when_supported` for AWS",
            kind="choice",
            choices=get_args(ChecksumMode),
            default="auto",
            example="auto",
        ),
        Setting(
            "verify_ssl",
            ("BUCKET_VERIFY_SSL", "S3_VERIFY_SSL"),
            "verify TLS certificates",
            parser=_parse_verify,
            form="`true`, `false` or the path of a CA bundle",
            default=True,
            example="true",
        ),
        Setting(
            "max_retries",
            ("BUCKET_MAX_RETRIES", "S3_MAX_RETRIES"),
            "retries after the first attempt (botocore's own)",
            kind="int",
            low=0,
            high=50,
            default=3,
            example="3",
        ),
        Setting(
            "retry_mode",
            ("BUCKET_RETRY_MODE", "AWS_RETRY_MODE"),
            "retry mode of botocore",
            kind="choice",
            choices=get_args(RetryMode),
            default="standard",
            example="standard",
        ),
        Setting(
            "connect_timeout",
            ("BUCKET_CONNECT_TIMEOUT", "S3_CONNECT_TIMEOUT"),
            "seconds to open a connection",
            kind="float",
            default=5.0,
            example="5",
        ),
        Setting(
            "read_timeout",
            ("BUCKET_READ_TIMEOUT", "S3_READ_TIMEOUT"),
            "seconds to wait for an answer",
            kind="float",
            default=60.0,
            example="60",
        ),
        Setting(
            "max_pool_connections",
            ("BUCKET_MAX_POOL_CONNECTIONS", "S3_MAX_POOL_CONNECTIONS"),
            "HTTP connection pool size; raised to `max_workers` when lower",
            kind="int",
            low=1,
            high=1024,
            default=10,
            example="10",
        ),
        Setting(
            "max_workers",
            ("BUCKET_MAX_WORKERS", "S3_MAX_WORKERS"),
            "threads for multipart and many-object transfers",
            kind="int",
            low=1,
            high=1024,
            default=8,
            example="8",
        ),
        Setting(
            "multipart_threshold",
            ("BUCKET_MULTIPART_THRESHOLD", "S3_MULTIPART_THRESHOLD"),
            "multipart above this size",
            parser=_parse_size,
            form=_SIZE,
            default=8 * MiB,
            shown_default="`8MiB`",
            example="8MiB",
        ),
        Setting(
            "multipart_chunksize",
            ("BUCKET_MULTIPART_CHUNKSIZE", "S3_MULTIPART_CHUNKSIZE"),
            "multipart part size",
            parser=_parse_size,
            form=_SIZE,
            default=8 * MiB,
            shown_default="`8MiB`",
            example="8MiB",
        ),
        Setting(
            "default_bucket",
            ("BUCKET_NAME", "S3_BUCKET_NAME"),
            "the service's bucket: made ready at start (`BUCKET_AUTO_CREATE`), probed by "
            "`health_check()`, used by the demo and the CLI",
            example="media",
        ),
        Setting(
            "auto_create",
            ("BUCKET_AUTO_CREATE",),
            "make sure `default_bucket` exists (created with the creation settings) on "
            "`connect()` and the first operation of `Bucket`",
            kind="bool",
            default=True,
            example="true",
        ),
        Setting(
            "portable_keys",
            ("BUCKET_PORTABLE_KEYS",),
            "refuse, before any request and on every store, the keys some store folds onto "
            "another key or refuses: empty, `.` or `..` segments (`a//b`, `/a`, `a/`), "
            "backslashes, control characters, a segment over 255 UTF-8 bytes "
            "(`docs/compatibility.md`); `false` = keys go through verbatim (SeaweedFS then "
            "stores `a//b` as `a/b`)",
            kind="bool",
            default=True,
            example="true",
        ),
        Setting(
            "prefix",
            ("BUCKET_KEY_PREFIX", "BUCKET_PREFIX", "S3_PREFIX"),
            "a folder every key, listing, stat and lifecycle filter goes under; the bucket "
            "is shared: `delete_bucket(force=True)` / `rb --force` empty this folder only "
            "and keep the bucket",
            form="a folder path: no leading `/`, no `.` or `..` part",
            default="",
            example="design-analysis",
        ),
        Setting(
            "public_url",
            ("BUCKET_PUBLIC_URL", "S3_PUBLIC_URL"),
            "the endpoint browsers and other containers use; presigned URLs are signed for it",
            form="`http(s)://host[:port]`",
            example="http://localhost:9000",
        ),
        Setting(
            "local_root",
            ("BUCKET_LOCAL_ROOT",),
            "the folder of the local store",
            default="./.bucket-data",
            example="./.bucket-data",
        ),
        Setting(
            "sse",
            ("BUCKET_SSE", "S3_SSE"),
            "server-side encryption of every write",
            parser=_parse_sse,
            choices=SSE_ALGORITHMS,
            form=_ENCRYPTION,
            group="encryption",
            example="AES256",
        ),
        Setting(
            "sse_kms_key_id",
            ("BUCKET_SSE_KMS_KEY_ID", "S3_SSE_KMS_KEY_ID"),
            "the KMS key of SSE-KMS writes (with `aws:kms`)",
            shown_default="the server's key",
            group="encryption",
        ),
        Setting(
            "sse_customer_key",
            ("BUCKET_SSE_CUSTOMER_KEY", "S3_SSE_CUSTOMER_KEY"),
            "SSE-C key used for every write and read",
            form="32 bytes as 64 hex digits or base64",
            secret=True,
            group="encryption",
        ),
        Setting(
            "storage_class",
            ("BUCKET_STORAGE_CLASS", "S3_STORAGE_CLASS"),
            "storage class of every write",
            parser=_parse_storage_class,
            choices=STORAGE_CLASSES,
            form="e.g. `STANDARD_IA`, `GLACIER`",
            shown_default="the server's (`STANDARD`)",
            group="encryption",
            example="STANDARD_IA",
        ),
        Setting(
            "role_arn",
            ("BUCKET_ROLE_ARN", "AWS_ROLE_ARN"),
            "assumed through STS on top of the credentials found; refreshed before expiry",
            form="`arn:aws:iam::123456789012:role/name`",
            group="role",
            example="arn:aws:iam::123456789012:role/bucket",
        ),
        Setting(
            "role_session_name",
            ("BUCKET_ROLE_SESSION_NAME", "AWS_ROLE_SESSION_NAME"),
            "session name of the assumed role",
            form="2-64 characters of letters, digits and `+=,.@_-`",
            default="bucket",
            group="role",
        ),
        Setting(
            "role_external_id",
            ("BUCKET_ROLE_EXTERNAL_ID",),
            "external id of the assumed role",
            form="2-1224 characters",
            group="role",
        ),
        Setting(
            "role_duration",
            ("BUCKET_ROLE_DURATION",),
            "seconds the role's credentials last",
            kind="int",
            low=900,
            high=43200,
            default=3600,
            example="3600",
            group="role",
        ),
        Setting(
            "create_preset",
            ("BUCKET_CREATE_PRESET",),
            "a named set of the creation settings: `archive` = seed 002's setup (below); a "
            "`BUCKET_CREATE_*` / `BUCKET_LIFECYCLE_*` variable set beside it wins",
            parser=_parse_preset,
            choices=tuple(CREATE_PRESETS),
            form="`none` or `archive`",
            group="create",
            example="archive",
        ),
        Setting(
            "create_versioning",
            ("BUCKET_CREATE_VERSIONING",),
            "enable versioning",
            kind="bool",
            default=False,
            example="false",
            group="create",
        ),
        Setting(
            "create_encryption",
            ("BUCKET_CREATE_ENCRYPTION",),
            "bucket default encryption",
            parser=_parse_sse,
            choices=SSE_ALGORITHMS,
            form=_ENCRYPTION,
            group="create",
            example="AES256",
        ),
        Setting(
            "create_object_lock",
            ("BUCKET_CREATE_OBJECT_LOCK",),
            "create with object lock (versioning comes with it)",
            kind="bool",
            default=False,
            example="false",
            group="create",
        ),
        Setting(
            "create_lifecycle",
            ("BUCKET_CREATE_LIFECYCLE",),
            "apply the lifecycle policy below",
            kind="bool",
            default=False,
            example="false",
            group="create",
        ),
        Setting(
            "lifecycle_transitions",
            ("BUCKET_LIFECYCLE_TRANSITIONS",),
            "transitions of the lifecycle policy",
            parser=_parse_transitions,
            form="increasing `days:CLASS` pairs, or `none`",
            default=((30, "STANDARD_IA"), (90, "GLACIER")),
            shown_default="`30:STANDARD_IA,90:GLACIER`",
            example="30:STANDARD_IA,90:GLACIER",
            group="create",
        ),
        Setting(
            "lifecycle_expiration_days",
            ("BUCKET_LIFECYCLE_EXPIRATION_DAYS",),
            "expire objects after this many days",
            parser=_parse_days,
            form="days 0-100000; `0` = never",
            default=365,
            example="365",
            group="create",
        ),
        Setting(
            "lifecycle_abort_multipart_days",
            ("BUCKET_LIFECYCLE_ABORT_MULTIPART_DAYS",),
            "abort incomplete multipart uploads after this many days",
            parser=_parse_days,
            form="days 0-100000; `0` = never",
            default=7,
            example="7",
            group="create",
        ),
    ),
    ConfigError,
)
VARIABLES: dict[str, tuple[str, ...]] = SETTINGS.variables
"""Field name (or ``host``/``port``/``scheme``) -> variables that can set it, highest
precedence first."""
_CHOICES = ("signature_version", "addressing_style", "checksum_mode", "retry_mode", "engine")


@dataclass(frozen=True, repr=False)
class BucketConfig(DeclaredConfig):
    """Validated settings of one store. Frozen; build with ``from_env`` or directly.

    Each field is declared in ``SETTINGS`` (its variables, bounds and meaning, rendered
    in ``docs/configuration.md``); its default is the field's. Beyond that table:

    Attributes:
        storage_type: ``STORAGE_TYPE`` (or ``BUCKET_STORAGE_TYPE``) decides when set;
            otherwise ``from_env`` picks ``"s3"`` when any setting points at S3 (see
            ``s3_signs``), else ``"local"``. Built directly, the default is ``"s3"``.
        endpoint_url: ``None`` means AWS S3; built from ``host``/``port``/``scheme``
            when not given.
        access_key, secret_key, session_token: ``None`` lets boto3's chain (profile,
            container or instance role) find them.
        default_bucket: the one ``ping``/``health_check`` probe, ``BUCKET_AUTO_CREATE``
            prepares and the CLI uses when a path names none; store and facade methods
            always take their bucket explicitly.
        portable_keys: the rule of ``validation.check_portable_key``.
        prefix: ``design-analysis`` stores ``a/b`` as ``design-analysis/a/b`` (see
            ``key_prefix``).
        create_preset: ``archive`` = versioning, AES256 default encryption and the
            default lifecycle policy (``CREATE_PRESETS``), under the key prefix.

    Raises:
        ConfigError: a value out of its domain, or settings that contradict each other;
            the message names the variable.
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
    engine: EngineChoice = "auto"
    tracing: bool = True
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
    portable_keys: bool = True
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
    origins: Mapping[str, SettingSource] = field(default_factory=DirectOrigins, compare=False)
    """Where each setting came from: the variable and its source (the process
    environment, which ``.env`` file, a mapping, explicit, a preset); ``provenance()``
    adds the defaults."""
    s3_signs: tuple[str, ...] = field(default=(), compare=False)
    """The settings that point at S3 (variable names, ``name (explicit)``, or a shared
    AWS file with a ``[default]`` profile), as ``from_env`` found them."""
    storage_defaulted: bool = field(default=False, compare=False)
    """True when ``from_env`` chose ``storage_type`` because nothing set it (``s3`` for a
    sign of S3, else ``local``); the factory announces a local folder chosen so."""

    _settings = SETTINGS

    # ---------------------------------------------------------------- building
    @classmethod
    def _from_env(cls, env: Mapping[str, str], overrides: Mapping[str, Any]) -> BucketConfig:
        """``from_env`` (see ``DeclaredConfig.from_env``): also refuses ``BUCKET_STORAGE_TYPE``
        and ``STORAGE_TYPE`` that contradict each other, and finds the ``s3_signs``.

        ``host``/``port``/``scheme`` build ``endpoint_url``; a ``create_preset`` fills the
        creation settings not given; ``storage_type`` unset is ``s3`` when a setting points
        at S3. The ``origins`` gain the endpoint built from ``host`` and the settings the
        preset filled.
        """
        values, sources = SETTINGS.read(env)
        _check_storage_type_variables(env)
        SETTINGS.take(values, sources, overrides, known=cls._overridable())
        kept = SETTINGS.origins(env, sources)
        signs = s3_signs(env, overrides)

        def var(name: str) -> str:
            return SETTINGS.var(sources, name)

        kwargs: dict[str, Any] = {"sources": dict(sources), "s3_signs": signs, "origins": kept}
        endpoint = _endpoint(values, sources, var)
        if endpoint is not None:
            kwargs["endpoint_url"] = endpoint
            if "endpoint_url" not in kept and "host" in kept:
                kept["endpoint_url"] = dataclasses.replace(kept["host"], setting="endpoint_url")
        kwargs.update(SETTINGS.parse(values, var))
        for name, value in CREATE_PRESETS.get(kwargs.get("create_preset") or "none", {}).items():
            if name not in kwargs:
                kwargs[name] = value
                kept[name] = SettingSource(name, "preset", var("create_preset"))
        if "storage_type" not in kwargs:  # nothing chose: any sign of S3, else the folder
            kwargs["storage_type"] = "s3" if signs else "local"
            kwargs["storage_defaulted"] = True
        return SETTINGS.build(cls, kwargs)

    @classmethod
    def _overridable(cls) -> frozenset[str]:
        """Every field (``sources`` and ``s3_signs`` included) and ``host``/``port``/``scheme``."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return frozenset(SETTINGS.by_name).union(fields) - {"origins"}

    # -------------------------------------------------------------- validation
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
        for name in _CHOICES:
            _check_choice(getattr(self, name), SETTINGS[name].choices, self._var(name))
        SETTINGS.check(self, self._var, "float")
        for name, low in (
            ("max_retries", 0),
            ("max_pool_connections", 1),
            ("max_workers", 1),
            ("multipart_threshold", 5 * MiB),
            ("multipart_chunksize", 5 * MiB),
        ):
            value = getattr(self, name)
            if not _whole(value) or value < low:
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
        if self.create_preset is not None:
            _check_choice(self.create_preset, tuple(CREATE_PRESETS), self._var("create_preset"))
        self._validate_encryption()
        if self.storage_class is not None:
            _check_choice(self.storage_class, STORAGE_CLASSES, self._var("storage_class"))
        self._validate_role()
        self._validate_lifecycle()

    def _validate_encryption(self) -> None:
        for name in ("sse", "create_encryption"):
            value = getattr(self, name)
            if value is not None and value not in SSE_ALGORITHMS:
                raise ConfigError(
                    f"{self._var(name)} must be AES256 (sse-s3) or aws:kms (sse-kms), not {value!r}"
                )
        if self.sse_kms_key_id is not None and self.sse != "aws:kms":
            raise ConfigError(f"{self._var('sse_kms_key_id')} needs {self._var('sse')}=aws:kms")
        if self.sse_customer_key is not None:
            if self.sse is not None:
                raise ConfigError(
                    f"{self._var('sse_customer_key')} (SSE-C) and {self._var('sse')} exclude each other"
                )
            sse_customer_key_bytes(self.sse_customer_key, self._var("sse_customer_key"))

    def _validate_role(self) -> None:
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
        if not _whole(duration) or not 900 <= duration <= 43200:
            raise ConfigError(
                f"{self._var('role_duration')} must be between 900 and 43200 seconds, not {duration!r}"
            )

    def _validate_lifecycle(self) -> None:
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
            if value is not None and (not _whole(value) or value < 1):
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

    def secrets(self) -> tuple[str, ...]:
        """The secret values this config holds (for tests that check nothing leaks)."""
        return SETTINGS.secret_values(self)


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


def _endpoint(
    values: dict[str, Any], sources: dict[str, str], var: Callable[[str], str]
) -> str | None:
    """Pop ``endpoint_url``, ``host``, ``port`` and ``scheme`` out of ``values``: the
    endpoint URL they give (checked), or None. Built from ``host``, the endpoint is
    recorded in ``sources`` as set by the host's variable (for later messages)."""
    endpoint = values.pop("endpoint_url", None)
    host = values.pop("host", None)
    port = values.pop("port", None)
    scheme = values.pop("scheme", None)
    if endpoint is None and host is not None:
        endpoint = _endpoint_from_host(str(host), port, scheme, var)
        sources["endpoint_url"] = var("host")
    elif port is not None or scheme is not None:
        if port is not None:
            SETTINGS["port"].parse_int(port, var("port"), ConfigError)
        if scheme is not None:
            _check_scheme(str(scheme), var("scheme"))
    return None if endpoint is None else _check_url(str(endpoint), var("endpoint_url"))


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
        None if port is None else SETTINGS["port"].parse_int(port, var("port"), ConfigError)
    )
    scheme = _check_scheme(str(scheme or _default_scheme(host_only, port_number)), var("scheme"))
    netloc = host_only if port_number is None else f"{host_only}:{port_number}"
    return f"{scheme}://{netloc}"


def _default_scheme(host: str, port: int | None) -> str:
    """``https`` for AWS hosts (``amazonaws.com`` and below) and port 443, else ``http``."""
    name = host.lower().rstrip(".")
    aws = name == "amazonaws.com" or name.endswith(".amazonaws.com")
    return "https" if aws or port == 443 else "http"
