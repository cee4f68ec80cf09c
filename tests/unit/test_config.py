"""BucketConfig: variables, aliases, precedence, validation and secret masking."""

from __future__ import annotations

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


def test_storage_type_defaults_to_local_without_a_server() -> None:
    """No endpoint, host, key or profile: the local folder store is the default."""
    assert BucketConfig.from_env({}).storage_type == "local"
    assert BucketConfig.from_env({"STORAGE_TYPE": "S3"}).storage_type == "s3"
    assert BucketConfig.from_env(CORE).storage_type == "s3"
    assert BucketConfig.from_env({**CORE, "STORAGE_TYPE": "local"}).storage_type == "local"


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
