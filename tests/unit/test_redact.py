"""The project's one redaction rule (``redact.py``), used by the library's log filter and
by everything the ``bucket`` command prints."""

from __future__ import annotations

import base64
import io
import logging

import pytest

from backend.src.libs.bucket import redact
from backend.src.libs.bucket.cli.output import Output


@pytest.fixture(autouse=True)
def _empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no registered secret and leaves the process's registry alone."""
    monkeypatch.setattr(redact, "_secrets", set())
    monkeypatch.setattr(redact, "_longest_first", ())


def test_scrub_masks_a_registered_secret_everywhere() -> None:
    """A registered secret of 8+ characters is replaced by *** at every occurrence."""
    redact.register("s3cr3t-value")
    assert redact.scrub("a s3cr3t-value b s3cr3t-value") == "a *** b ***"


def test_short_values_are_not_masked() -> None:
    """Values under MIN_LENGTH (8) are ignored: masking them would corrupt ordinary text."""
    redact.register("pass")
    redact.register("1234567")
    assert redact.MIN_LENGTH == 8
    assert redact.scrub("pass 1234567 passport.txt") == "pass 1234567 passport.txt"


def test_bytes_secret_masks_its_base64_and_hex_forms() -> None:
    """A bytes secret (an SSE-C key) is masked raw, in base64 and in hex."""
    key = bytes(range(32))
    redact.register(key)
    text = f"{base64.b64encode(key).decode()} {key.hex()}"
    assert redact.scrub(text) == "*** ***"


def test_a_secret_inside_another_leaves_nothing_behind() -> None:
    """Longer secrets are masked first, so a secret containing another is masked whole."""
    redact.register("abcdefgh")
    redact.register("xxabcdefghyy")
    assert redact.scrub("[xxabcdefghyy] [abcdefgh]") == "[***] [***]"


def test_scrub_without_secrets_returns_the_text() -> None:
    """Nothing registered: the text comes back unchanged."""
    assert redact.scrub("nothing *** here") == "nothing *** here"


def test_cli_output_follows_the_same_rule() -> None:
    """The CLI prints through redact.scrub: an 8+ character secret is masked on stdout,
    stderr and in JSON documents; a 4-character value (masked by the CLI's own old rule) is
    not."""
    redact.register("cli-secret-42")
    redact.register("abcd")
    out, err = io.StringIO(), io.StringIO()
    output = Output(out, err, json=False, quiet=False)
    output.out("key cli-secret-42 abcd")
    output.err("cli-secret-42")
    output.emit({"v": "cli-secret-42"})
    output.emit_items([{"v": "cli-secret-42"}])
    assert out.getvalue() == 'key *** abcd\n{"v": "***"}\n[{"v": "***"}]\n'
    assert err.getvalue() == "***\n"


def test_log_filter_uses_the_rule() -> None:
    """The logging filter masks a record's rendered message with the same rule."""
    redact.register("log-secret-99")
    record = logging.LogRecord(
        "botocore", logging.DEBUG, __file__, 1, "h: %s", ("log-secret-99",), None
    )
    assert redact.RedactingFilter().filter(record)
    assert record.getMessage() == "h: ***"
