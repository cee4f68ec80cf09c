"""The CLI package's seams, without a server: the grammar and the command table agree,
doctor takes the key source from ``credentials.credential_source``, addresses parse."""

from __future__ import annotations

import argparse

import pytest

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.cli import CliError, build_parser, parse_remote, require_remote
from backend.src.libs.bucket.cli.commands import COMMANDS
from backend.src.libs.bucket.cli.doctor_checks import key_source


def test_every_parsed_command_has_a_function() -> None:
    """Each sub-command of the parser runs through COMMANDS, and COMMANDS has no extra."""
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(actions[0].choices) == list(COMMANDS)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "a"}, "AWS_ACCESS_KEY_ID"),
        ({"BUCKET_USER": "A", "BUCKET_PASSWORD": "a"}, "BUCKET_USER"),
        ({"AWS_PROFILE": "team"}, "profile team"),
        ({}, "boto3's default chain"),
        (
            {
                "AWS_ACCESS_KEY_ID": "A",
                "AWS_SECRET_ACCESS_KEY": "a",
                "BUCKET_ROLE_ARN": "arn:aws:iam::123456789012:role/app",
            },
            "AWS_ACCESS_KEY_ID, then assume-role",
        ),
    ],
)
def test_doctor_names_the_credential_source_of_the_library(
    env: dict[str, str], expected: str
) -> None:
    """doctor's "key from ..." words follow credentials.credential_source: the variable,
    the profile, boto3's chain, and an assume-role on top."""
    config = BucketConfig.from_env({"S3_ENDPOINT_URL": "http://127.0.0.1:9", **env})
    assert key_source(config) == expected


def test_remote_addresses() -> None:
    """s3:// and local:// parse into scheme, bucket and key; a local path is None; a
    missing bucket, a local path where a remote one is needed, or a key against the rule
    exit 2."""
    remote = parse_remote("local://media/a/b.txt")
    assert remote is not None and (remote.scheme, remote.bucket, remote.key) == (
        "local",
        "media",
        "a/b.txt",
    )
    assert parse_remote("./file.txt") is None
    for text, key in (("s3://", None), ("file.txt", None), ("s3://b", True), ("s3://b/k", False)):
        with pytest.raises(CliError) as caught:
            require_remote(text, key=key)
        assert caught.value.status == 2
