"""Where a store's credentials come from, and assume-role with refresh.

Precedence, highest first (the first that yields a key wins): explicit config
(``BucketConfig(access_key=...)``); ``BUCKET_USER`` / ``BUCKET_PASSWORD`` /
``BUCKET_SESSION_TOKEN`` (and the other ``BUCKET_*`` spellings), ``S3_*``, then
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` of the mapping
the config was read from; the profile ``BUCKET_PROFILE`` / ``AWS_PROFILE`` of the shared
AWS files; boto3's own chain (process environment, default profile, web identity,
container and instance roles).

With ``role_arn`` those credentials only sign the STS ``AssumeRole`` call; the store signs
with the role's refreshable temporary credentials. Secrets are never logged; errors name
the variable, never its value.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.errors import ConfigError, StorageError
from backend.src.libs.bucket.s3.errors import translate

if TYPE_CHECKING:
    import boto3

log = logging.getLogger("bucket.credentials")


def make_session(config: BucketConfig, *, sts_client: Any = None) -> boto3.session.Session:
    """A boto3 session whose credentials follow the precedence of this module (no request
    is made here).

    Args:
        sts_client: an STS client for assume-role (default: one built from the source
            credentials, in ``config.region``).

    Raises:
        ConfigError: the profile named by the settings is not in the shared files.
    """
    import boto3
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    try:
        source = botocore.session.Session(profile=config.profile)
        if config.access_key is not None and config.secret_key is not None:
            source.set_credentials(config.access_key, config.secret_key, config.session_token)
        elif config.profile is not None:
            source.get_scoped_config()  # raises ProfileNotFound now rather than on first use
        core = source
        if config.role_arn:
            # the source credentials only sign the STS call; S3 sees the role's
            core = botocore.session.Session(profile=config.profile)
            _install_credentials(core, _assume_role(source, config, sts_client))
        return boto3.session.Session(botocore_session=core, region_name=config.region)
    except ProfileNotFound as exc:
        raise profile_not_found(config) from exc


def profile_not_found(config: BucketConfig) -> ConfigError:
    """The error of a profile named by the settings that the shared AWS files lack."""
    return ConfigError(
        f"{config.sources.get('profile', 'AWS_PROFILE')} names a profile that is not "
        f"in the shared AWS files: {config.profile!r}"
    )


def _assume_role(source: Any, config: BucketConfig, sts_client: Any) -> Any:
    """Refreshable credentials of ``config.role_arn`` (botocore
    ``DeferredRefreshableCredentials``: no STS call until first used), obtained with the
    botocore session ``source``'s credentials through ``sts_client`` (default: built from
    ``source`` on first refresh). On first use, STS refusing the role raises a
    ``StorageError`` through botocore."""
    from botocore.credentials import DeferredRefreshableCredentials

    def refresh() -> dict[str, str]:
        nonlocal sts_client
        kwargs: dict[str, Any] = {
            "RoleArn": config.role_arn,
            "RoleSessionName": config.role_session_name,
            "DurationSeconds": config.role_duration,
        }
        if config.role_external_id:
            kwargs["ExternalId"] = config.role_external_id
        try:
            if sts_client is None:
                sts_client = source.create_client("sts", region_name=config.region)
            response = sts_client.assume_role(**kwargs)
        except StorageError:
            raise
        except Exception as exc:
            raise translate(exc, operation="assume_role") from exc
        creds = response["Credentials"]
        expiration = creds["Expiration"]
        log.debug("assumed role %s until %s", config.role_arn, expiration)
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiration.isoformat()
            if hasattr(expiration, "isoformat")
            else str(expiration),
        }

    return DeferredRefreshableCredentials(refresh_using=refresh, method="assume-role")


def _install_credentials(core: Any, credentials: Any) -> None:
    """Make ``core`` hand out ``credentials`` (first in its provider chain)."""
    from botocore.credentials import CredentialProvider

    class _Fixed(CredentialProvider):
        METHOD = "assume-role"
        CANONICAL_NAME = "bucket-assume-role"

        def load(self) -> Any:
            return credentials

    resolver = core.get_component("credential_provider")
    resolver.providers.insert(0, _Fixed())


def require_credentials(session: boto3.session.Session, config: BucketConfig) -> None:
    """Fail now when boto3's chain (keys, profiles, web identity, container and instance
    roles) finds no credentials for ``session``.

    Raises:
        ConfigError: no credentials anywhere; the message names the settings that chose
            S3 (never a value) and how to give credentials.
    """
    if session.get_credentials() is not None:
        return
    raise ConfigError(
        f"no credentials found: the S3 store was chosen by {config.selected_by}, but "
        "boto3 found no credentials (keys, AWS_PROFILE, shared credentials file, web "
        "identity, container or instance role); set BUCKET_USER/BUCKET_PASSWORD or "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or a role, or "
        "STORAGE_TYPE=local to store in a local folder",
        code="NoCredentials",
    )


def configured_endpoint(session: boto3.session.Session) -> str | None:
    """The S3 endpoint boto3 itself will use when the settings name none
    (``AWS_ENDPOINT_URL(_S3)``, ``endpoint_url`` in the shared config file). None means AWS.

    Raises:
        RuntimeError: this boto3 keeps its botocore session elsewhere
            (``botocore_private.core_session``).
    """
    from botocore.configprovider import ConfiguredEndpointProvider

    from backend.src.libs.bucket.s3 import botocore_private

    core = botocore_private.core_session(session)
    provider = ConfiguredEndpointProvider(
        full_config=core.full_config,
        scoped_config=core.get_scoped_config(),
        client_name="s3",
    )
    endpoint = provider.provide()
    return str(endpoint) if endpoint else None


def credential_source(config: BucketConfig) -> str:
    """Which rung of the precedence gives ``config`` its credentials (for ``doctor``).

    Returns one of ``explicit``, the variable name (``BUCKET_USER``, ``AWS_ACCESS_KEY_ID``),
    ``profile:NAME`` or ``boto3-chain``, suffixed with ``+assume-role`` when a role is set.
    """
    if config.access_key is not None:
        source = config.sources.get("access_key", "explicit")
    elif config.profile is not None:
        source = f"profile:{config.profile}"
    else:
        source = "boto3-chain"
    return f"{source}+assume-role" if config.role_arn else source
