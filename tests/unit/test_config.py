"""BucketConfig: variables, aliases, precedence, validation and secret masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.src.libs.bucket import BucketConfig, ConfigError

CORE = {
    "BUCKET_HOST": "minio.internal",
    "BUCKET_PORT": "9000",
    "BUCKET_USER": "access-abc",
    "BUCKET_PASSWORD": "s3cr3t-password-value",
}


def test_core_variables_build_the_endpoint() -> None:
    """BUCKET_HOST and BUCKET_PORT make an http endpoint; user/password become the keys."""
    cfg = BucketConfig.from_env(CORE)
    assert cfg.endpoint_url == "http://minio.internal:9000"
    assert cfg.access_key == "access-abc"
    assert cfg.secret_key == "s3cr3t-password-value"
    assert cfg.storage_type == "s3"
    assert cfg.signature_version == "s3v4"
    assert cfg.region == "us-east-1"


def test_host_with_scheme_and_port_is_kept() -> None:
    """A BUCKET_HOST that carries a scheme and port needs no BUCKET_PORT."""
    cfg = BucketConfig.from_env({"BUCKET_HOST": "https://s3.example.com:8443"})
    assert cfg.endpoint_url == "https://s3.example.com:8443"


def test_bucket_variables_win_over_aliases() -> None:
    """BUCKET_* beats S3_* and AWS_* for the same setting; the source is recorded."""
    env = {
        "BUCKET_REGION": "eu-west-3",
        "S3_REGION": "us-west-2",
        "AWS_REGION": "ap-south-1",
        "BUCKET_USER": "from-bucket",
        "AWS_ACCESS_KEY_ID": "from-aws",
        "BUCKET_PASSWORD": "p1",
        "AWS_SECRET_ACCESS_KEY": "p2",
    }
    cfg = BucketConfig.from_env(env)
    assert cfg.region == "eu-west-3"
    assert cfg.access_key == "from-bucket"
    assert cfg.secret_key == "p1"
    assert cfg.sources["region"] == "BUCKET_REGION"


def test_aliases_of_other_deployments_are_read() -> None:
    """S3_ENDPOINT_URL, S3_BUCKET_NAME, S3_PREFIX, AWS_* and friends are understood."""
    env = {
        "S3_ENDPOINT_URL": "http://127.0.0.1:9000/",
        "S3_BUCKET_NAME": "media",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "S3_PREFIX": "tenant-a/",
        "S3_SIGNATURE_VERSION": "s3v4",
        "S3_MAX_RETRIES": "7",
        "S3_CONNECT_TIMEOUT": "2.5",
        "S3_READ_TIMEOUT": "30",
        "AWS_ACCESS_KEY_ID": "ak",
        "AWS_SECRET_ACCESS_KEY": "sk",
        "AWS_SESSION_TOKEN": "token-value",
        "AWS_PROFILE": "ops",
    }
    cfg = BucketConfig.from_env(env)
    assert cfg.endpoint_url == "http://127.0.0.1:9000"
    assert cfg.default_bucket == "media"
    assert cfg.region == "eu-central-1"
    assert cfg.prefix == "tenant-a/"
    assert cfg.max_retries == 7
    assert cfg.connect_timeout == 2.5
    assert cfg.read_timeout == 30.0
    assert cfg.session_token == "token-value"
    assert cfg.profile == "ops"


def test_explicit_overrides_win_over_everything() -> None:
    """Values passed to from_env() beat every variable."""
    cfg = BucketConfig.from_env({"BUCKET_REGION": "eu-west-3"}, region="us-west-1")
    assert cfg.region == "us-west-1"
    assert cfg.sources["region"] == "explicit"


def test_storage_type_is_local_only_when_nothing_points_at_s3() -> None:
    """No setting pointing at S3: the local folder store; STORAGE_TYPE decides when set."""
    assert BucketConfig.from_env({}).storage_type == "local"
    assert BucketConfig.from_env({}).selected_by == "no setting points at S3"
    assert BucketConfig.from_env({"STORAGE_TYPE": "S3"}).storage_type == "s3"
    assert BucketConfig.from_env(CORE).storage_type == "s3"
    assert BucketConfig.from_env({**CORE, "STORAGE_TYPE": "local"}).storage_type == "local"


@pytest.mark.parametrize(
    "env",
    [
        {"BUCKET_HOST": "minio"},
        {"AWS_ENDPOINT_URL": "http://minio:9000"},
        {"AWS_ENDPOINT_URL_S3": "http://minio:9000"},
        {"BUCKET_NAME": "media"},
        {"S3_BUCKET_NAME": "eje-evidence"},
        {"AWS_REGION": "eu-west-1"},
        {"AWS_DEFAULT_REGION": "eu-west-1"},
        {"S3_REGION": "eu-west-1"},
        {"AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk"},
        {"AWS_PROFILE": "ops"},
        {"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks/token"},
        {"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/app"},
        {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"},
    ],
)
def test_any_sign_of_s3_selects_s3(env: dict[str, str]) -> None:
    """Each setting that points at S3 selects the S3 store on its own, and is named."""
    cfg = BucketConfig.from_env(env)
    assert cfg.storage_type == "s3"
    assert next(iter(env)) in cfg.selected_by


def test_irsa_style_settings_select_s3() -> None:
    """A service with a role and only S3_BUCKET_NAME + AWS_REGION gets S3, not a folder."""
    cfg = BucketConfig.from_env({"S3_BUCKET_NAME": "eje-evidence", "AWS_REGION": "eu-west-1"})
    assert cfg.storage_type == "s3" and cfg.s3_signs == ("S3_BUCKET_NAME", "AWS_REGION")
    assert cfg.selected_by == "S3_BUCKET_NAME, AWS_REGION"


def test_shared_file_with_default_profile_selects_s3(tmp_path: Path) -> None:
    """A shared credentials or config file with a [default] profile selects S3 (named
    by its variable, or ~/.aws under HOME); an empty file does not."""
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = a\naws_secret_access_key = b\n")
    empty = tmp_path / "empty"
    empty.write_text("")
    cfg = BucketConfig.from_env({"AWS_SHARED_CREDENTIALS_FILE": str(creds)})
    assert cfg.storage_type == "s3" and cfg.s3_signs == ("AWS_SHARED_CREDENTIALS_FILE [default]",)
    config = tmp_path / "config"
    config.write_text("[profile default]\nregion = eu-west-1\n")
    assert BucketConfig.from_env({"AWS_CONFIG_FILE": str(config)}).storage_type == "s3"
    assert BucketConfig.from_env({"AWS_CONFIG_FILE": str(empty)}).storage_type == "local"
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(creds.read_text())
    cfg = BucketConfig.from_env({"HOME": str(home)})
    assert cfg.s3_signs == ("~/.aws/credentials [default]",)


def test_explicit_local_wins_and_keeps_the_ignored_signs() -> None:
    """STORAGE_TYPE=local beside S3 settings: local, and the ignored settings are known."""
    cfg = BucketConfig.from_env({"STORAGE_TYPE": "local", "S3_BUCKET_NAME": "b"})
    assert cfg.storage_type == "local" and cfg.s3_signs == ("S3_BUCKET_NAME",)
    assert cfg.selected_by == "STORAGE_TYPE=local"


def test_contradictory_or_unknown_storage_type_is_an_error() -> None:
    """BUCKET_STORAGE_TYPE and STORAGE_TYPE disagreeing, or an unknown type, raise
    ConfigError naming the variables; the same value twice is fine."""
    with pytest.raises(ConfigError, match="BUCKET_STORAGE_TYPE=s3 and STORAGE_TYPE=local"):
        BucketConfig.from_env({"BUCKET_STORAGE_TYPE": "s3", "STORAGE_TYPE": "local"})
    with pytest.raises(ConfigError, match="STORAGE_TYPE must be 's3' or 'local', not 'gcs'"):
        BucketConfig.from_env({"STORAGE_TYPE": "gcs"})
    cfg = BucketConfig.from_env({"BUCKET_STORAGE_TYPE": "S3", "STORAGE_TYPE": "s3"})
    assert cfg.storage_type == "s3"


@pytest.mark.parametrize("prefix", ["design-analysis", "design-analysis/", "a/b", "a/b//"])
def test_prefix_is_a_folder(prefix: str) -> None:
    """S3_PREFIX (or BUCKET_KEY_PREFIX) names a folder: key_prefix ends in one '/'."""
    assert BucketConfig.from_env({"S3_PREFIX": prefix}).key_prefix == prefix.rstrip("/") + "/"
    assert BucketConfig.from_env({"BUCKET_KEY_PREFIX": prefix}).key_prefix.endswith("/")
    assert BucketConfig.from_env({}).key_prefix == ""


@pytest.mark.parametrize("prefix", ["../up", "a/../b", "/abs", "a//b", "./a", ".."])
def test_prefix_that_escapes_is_a_config_error(prefix: str) -> None:
    """A prefix with '..' or '.' parts, a leading '/' or '//' inside: ConfigError naming
    the variable."""
    with pytest.raises(ConfigError, match="S3_PREFIX must be a folder path"):
        BucketConfig.from_env({"S3_PREFIX": prefix})


@pytest.mark.parametrize(
    ("env", "endpoint"),
    [
        ({"BUCKET_HOST": "s3.amazonaws.com"}, "https://s3.amazonaws.com"),
        ({"BUCKET_HOST": "s3.eu-west-1.amazonaws.com"}, "https://s3.eu-west-1.amazonaws.com"),
        ({"BUCKET_HOST": "minio", "BUCKET_PORT": "443"}, "https://minio:443"),
        ({"BUCKET_HOST": "minio:443"}, "https://minio:443"),
        ({"BUCKET_HOST": "minio", "BUCKET_PORT": "9000"}, "http://minio:9000"),
        ({"BUCKET_HOST": "s3.amazonaws.com", "BUCKET_SCHEME": "http"}, "http://s3.amazonaws.com"),
        ({"BUCKET_HOST": "notamazonaws.com"}, "http://notamazonaws.com"),
    ],
)
def test_https_for_aws_hosts_and_port_443(env: dict[str, str], endpoint: str) -> None:
    """BUCKET_HOST on amazonaws.com or port 443 means https unless BUCKET_SCHEME says
    otherwise; other hosts default to http."""
    assert BucketConfig.from_env(env).endpoint_url == endpoint


def test_archive_preset_and_auto_create() -> None:
    """BUCKET_CREATE_PRESET=archive sets seed 002's creation settings; a BUCKET_CREATE_*
    variable beside it wins; an unknown preset names the variable; BUCKET_AUTO_CREATE
    defaults on."""
    cfg = BucketConfig.from_env({"BUCKET_CREATE_PRESET": "Archive"})
    assert cfg.create_preset == "archive" and cfg.auto_create is True
    assert cfg.create_versioning is True and cfg.create_encryption == "AES256"
    assert cfg.create_lifecycle is True
    assert cfg.lifecycle_transitions == ((30, "STANDARD_IA"), (90, "GLACIER"))
    assert cfg.lifecycle_expiration_days == 365 and cfg.lifecycle_abort_multipart_days == 7
    cfg = BucketConfig.from_env(
        {"BUCKET_CREATE_PRESET": "archive", "BUCKET_CREATE_VERSIONING": "off"}
    )
    assert cfg.create_versioning is False and cfg.create_encryption == "AES256"
    with pytest.raises(ConfigError, match="BUCKET_CREATE_PRESET must be one of none, archive"):
        BucketConfig.from_env({"BUCKET_CREATE_PRESET": "cold"})
    assert BucketConfig.from_env({"BUCKET_AUTO_CREATE": "0"}).auto_create is False
    with pytest.raises(ConfigError, match="BUCKET_AUTO_CREATE"):
        BucketConfig.from_env({"BUCKET_AUTO_CREATE": "maybe"})


def test_empty_values_count_as_unset() -> None:
    """An empty BUCKET_PORT or region falls through to the next source or default."""
    cfg = BucketConfig.from_env({"BUCKET_HOST": "h", "BUCKET_PORT": "", "BUCKET_REGION": " "})
    assert cfg.endpoint_url == "http://h"
    assert cfg.region == "us-east-1"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BUCKET_HOST": "h", "BUCKET_PORT": "ninety"}, "BUCKET_PORT"),
        ({"BUCKET_HOST": "h", "BUCKET_PORT": "0"}, "BUCKET_PORT"),
        ({"BUCKET_HOST": "h", "BUCKET_PORT": "70000"}, "BUCKET_PORT"),
        ({"BUCKET_HOST": "h", "BUCKET_SCHEME": "ftp"}, "BUCKET_SCHEME"),
        ({"S3_ENDPOINT_URL": "ftp://host"}, "S3_ENDPOINT_URL"),
        ({"S3_ENDPOINT_URL": "not a url"}, "S3_ENDPOINT_URL"),
        ({"S3_CONNECT_TIMEOUT": "-1"}, "S3_CONNECT_TIMEOUT"),
        ({"BUCKET_READ_TIMEOUT": "0"}, "BUCKET_READ_TIMEOUT"),
        ({"BUCKET_READ_TIMEOUT": "soon"}, "BUCKET_READ_TIMEOUT"),
        ({"BUCKET_SIGNATURE_VERSION": "v9"}, "BUCKET_SIGNATURE_VERSION"),
        ({"AWS_REGION": "Europe West"}, "AWS_REGION"),
        ({"BUCKET_MAX_RETRIES": "-2"}, "BUCKET_MAX_RETRIES"),
        ({"BUCKET_MULTIPART_THRESHOLD": "1KiB"}, "BUCKET_MULTIPART_THRESHOLD"),
        ({"BUCKET_MULTIPART_CHUNKSIZE": "lots"}, "BUCKET_MULTIPART_CHUNKSIZE"),
        ({"BUCKET_ADDRESSING_STYLE": "sideways"}, "BUCKET_ADDRESSING_STYLE"),
        ({"BUCKET_CHECKSUM_MODE": "always"}, "BUCKET_CHECKSUM_MODE"),
        ({"STORAGE_TYPE": "tape"}, "STORAGE_TYPE"),
        ({"BUCKET_VERIFY_SSL": "maybe"}, "BUCKET_VERIFY_SSL"),
        ({"BUCKET_USER": "only-the-user"}, "BUCKET_PASSWORD"),
        ({"AWS_SECRET_ACCESS_KEY": "only-the-secret"}, "BUCKET_USER"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    """Every invalid value raises ConfigError whose message names the variable at fault."""
    with pytest.raises(ConfigError) as caught:
        BucketConfig.from_env(env)
    assert variable in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_sizes_accept_units() -> None:
    """Multipart sizes accept plain bytes or KiB/MiB/GiB units."""
    cfg = BucketConfig.from_env({"BUCKET_MULTIPART_THRESHOLD": "16MiB", "BUCKET_MULTIPART_CHUNKSIZE": "6291456"})
    assert cfg.multipart_threshold == 16 * 1024 * 1024
    assert cfg.multipart_chunksize == 6 * 1024 * 1024


def test_compatibility_defaults_for_custom_endpoints_and_aws() -> None:
    """Custom endpoints get path-style and when_required checksums; AWS gets virtual and when_supported."""
    custom = BucketConfig.from_env(CORE)
    assert custom.effective_addressing_style == "path"
    assert custom.effective_checksum_mode == "when_required"
    aws = BucketConfig.from_env({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    assert aws.effective_addressing_style == "virtual"
    assert aws.effective_checksum_mode == "when_supported"
    forced = BucketConfig.from_env({**CORE, "BUCKET_ADDRESSING_STYLE": "virtual"})
    assert forced.effective_addressing_style == "virtual"


def test_pool_is_at_least_the_worker_count() -> None:
    """max_pool_connections is raised to max_workers so threads never wait for a socket."""
    cfg = BucketConfig.from_env({"BUCKET_MAX_WORKERS": "32", "BUCKET_MAX_POOL_CONNECTIONS": "10"})
    assert cfg.pool_size == 32


def test_repr_and_describe_mask_secrets() -> None:
    """The secret key and session token never appear in repr, str or describe()."""
    cfg = BucketConfig.from_env({**CORE, "AWS_SESSION_TOKEN": "session-token-value"})
    for text in (repr(cfg), str(cfg), str(cfg.describe())):
        assert "s3cr3t-password-value" not in text
        assert "session-token-value" not in text
        assert "***" in text
    assert "access-abc" in repr(cfg)


def test_dotenv_file_is_read_under_the_environment(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A .env file supplies values; the process environment wins over it."""
    env_file = tmp_path / ".env"
    env_file.write_text("BUCKET_HOST=from-dotenv\nBUCKET_PORT=9000\nBUCKET_REGION=eu-west-1\n")
    monkeypatch.setenv("BUCKET_REGION", "eu-west-2")
    monkeypatch.delenv("BUCKET_PORT", raising=False)
    monkeypatch.delenv("BUCKET_HOST", raising=False)
    cfg = BucketConfig.from_env(env_file=env_file)
    assert cfg.endpoint_url == "http://from-dotenv:9000"
    assert cfg.region == "eu-west-2"


def test_unknown_override_is_refused() -> None:
    """A misspelt explicit setting is an error, not silently ignored."""
    with pytest.raises(ConfigError, match="regoin"):
        BucketConfig.from_env({}, regoin="eu-west-1")


def test_import_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the package with broken variables does not fail: errors come at use."""
    import importlib

    import backend.src.libs.bucket as pkg

    monkeypatch.setenv("BUCKET_PORT", "not-a-port")
    importlib.reload(pkg)
    with pytest.raises(ConfigError, match="BUCKET_PORT"):
        BucketConfig.from_env({"BUCKET_HOST": "h", "BUCKET_PORT": "not-a-port"})
