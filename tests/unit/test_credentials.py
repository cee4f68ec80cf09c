"""Issue 3 item 9: credential precedence and assume-role with refresh (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.stub import Stubber

from backend.src.libs.bucket import BucketConfig, ConfigError
from backend.src.libs.bucket.s3.credentials import make_session


@pytest.fixture
def aws_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary AWS config dir with profile 'team'; process AWS_* keys removed."""
    (tmp_path / "credentials").write_text("[team]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = profilesecret\n")
    (tmp_path / "config").write_text("[profile team]\nregion = eu-west-3\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_explicit_beats_bucket_beats_aws(aws_dir: Path) -> None:
    """Explicit config wins over BUCKET_USER, which wins over AWS_ACCESS_KEY_ID and the profile."""
    env = {"BUCKET_USER": "B", "BUCKET_PASSWORD": "b", "AWS_ACCESS_KEY_ID": "A",
           "AWS_SECRET_ACCESS_KEY": "a", "AWS_PROFILE": "team"}
    assert make_session(BucketConfig.from_env(env)).get_credentials().access_key == "B"
    explicit = BucketConfig.from_env(env, access_key="E", secret_key="e")
    assert make_session(explicit).get_credentials().access_key == "E"
    env.pop("BUCKET_USER"), env.pop("BUCKET_PASSWORD")
    creds = make_session(BucketConfig.from_env(env)).get_credentials()
    assert (creds.access_key, creds.token) == ("A", None)


def test_session_token_is_kept(aws_dir: Path) -> None:
    """AWS_SESSION_TOKEN travels with the keys."""
    env = {"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "a", "AWS_SESSION_TOKEN": "T"}
    assert make_session(BucketConfig.from_env(env)).get_credentials().token == "T"


def test_profile_from_shared_files(aws_dir: Path) -> None:
    """Without keys, the named profile of the shared files gives the credentials."""
    config = BucketConfig.from_env({"AWS_PROFILE": "team", "BUCKET_HOST": "127.0.0.1:9"})
    assert make_session(config).get_credentials().access_key == "PROFILEKEY"


def test_missing_profile_names_the_variable(aws_dir: Path) -> None:
    """A profile absent from the files is a ConfigError naming the variable."""
    config = BucketConfig.from_env({"BUCKET_PROFILE": "nope", "BUCKET_HOST": "127.0.0.1:9"})
    with pytest.raises(ConfigError, match="BUCKET_PROFILE"):
        make_session(config)


def _sts_response(key: str, expires: datetime) -> dict[str, object]:
    return {"Credentials": {"AccessKeyId": key, "SecretAccessKey": "s" * 20,
                            "SessionToken": "tok", "Expiration": expires}}


def test_assume_role_uses_stubbed_sts_and_refreshes(aws_dir: Path) -> None:
    """With BUCKET_ROLE_ARN the role's credentials are fetched on first use with the
    session name, external id and duration, and fetched again when near expiry."""
    import boto3

    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="A", aws_secret_access_key="a")
    stub = Stubber(sts)
    expected = {"RoleArn": "arn:aws:iam::123456789012:role/app", "RoleSessionName": "svc",
                "DurationSeconds": 900, "ExternalId": "ext-1"}
    soon = datetime.now(UTC) + timedelta(seconds=60)  # inside the refresh window
    later = datetime.now(UTC) + timedelta(hours=1)
    stub.add_response("assume_role", _sts_response("ROLEKEY1ROLEKEY1", soon), expected)
    stub.add_response("assume_role", _sts_response("ROLEKEY2ROLEKEY2", later), expected)
    env = {"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "a",
           "BUCKET_ROLE_ARN": expected["RoleArn"], "BUCKET_ROLE_SESSION_NAME": "svc",
           "BUCKET_ROLE_EXTERNAL_ID": "ext-1", "BUCKET_ROLE_DURATION": "900"}
    with stub:
        creds = make_session(BucketConfig.from_env(env), sts_client=sts).get_credentials()
        first = creds.get_frozen_credentials().access_key
        second = creds.get_frozen_credentials().access_key
    assert (first, second) == ("ROLEKEY1ROLEKEY1", "ROLEKEY2ROLEKEY2")
    stub.assert_no_pending_responses()


def test_role_settings_validated() -> None:
    """A malformed role ARN or duration is refused naming the variable."""
    with pytest.raises(ConfigError, match="BUCKET_ROLE_ARN"):
        BucketConfig.from_env({"BUCKET_ROLE_ARN": "not-an-arn"})
    with pytest.raises(ConfigError, match="BUCKET_ROLE_DURATION"):
        BucketConfig.from_env({"BUCKET_ROLE_DURATION": "60"})
