"""The project's one redaction rule (``redact.py``), used by the library's log filter and
by everything the ``bucket`` command prints."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import random
import subprocess
import sys
from pathlib import Path

import pytest

from backend.src.libs.bucket.base import redact
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


# ---- issue 22 fault 5: every form an SSE-C key takes in a log line ----------------------

KEY_WITH_QUOTES = b"'" + b"\\" + b'\t\n"' + bytes(range(0x20, 0x3B))  # 32 bytes: ', \, "
KEY_WITH_APOSTROPHE = bytes(b for b in range(0x23, 0x42)) + b"'"  # 32 printable, no "
KEY_UTF8 = "clé-ünïcødé-1234567890".encode()  # valid UTF-8, non-ASCII
KEYS = [
    bytes(range(32)),
    KEY_WITH_QUOTES,
    KEY_WITH_APOSTROPHE,
    KEY_UTF8,
    b"\\" * 32,
    *(random.Random(seed).randbytes(32) for seed in range(200)),
]
KEY_IDS = ["0-31", "quotes", "apostrophe", "utf8", "backslashes", *map(str, range(200))]


def _md5_b64(key: bytes) -> str:
    return base64.b64encode(hashlib.md5(key, usedforsecurity=False).digest()).decode()


def _lines(key: bytes) -> dict[str, str]:
    """A log line for each form the key takes, as the libraries write them."""
    lines = {
        "repr": f"key {key!r} end",
        "repr-inner": f"key {repr(key)[2:-1]} end",
        "dict-repr": f"Executing task {{'extra_args': {{'SSECustomerKey': {key!r}}}}}",
        "nested-repr": f"raised {(ValueError({'SSECustomerKey': key}),)!r}",
        "str-of-dict-repr": repr(str({"k": key})),
        "hex": f"h {key.hex()} H {key.hex().upper()}",
        "base64": f"x-amz-server-side-encryption-customer-key: {base64.b64encode(key).decode()}",
        "headers-repr": repr({"x-amz-server-side-encryption-customer-key": base64.b64encode(key)}),
        "md5": f"x-amz-server-side-encryption-customer-key-md5:{_md5_b64(key)}",
        "md5-bytes-repr": repr({"x-amz-...-key-md5": _md5_b64(key).encode()}),
    }
    with contextlib.suppress(UnicodeDecodeError):
        lines["utf8"] = f"k {key.decode()} k {key.decode()!r} {[key.decode()]}"
    return lines


def _leaks(key: bytes, text: str) -> list[str]:
    """The forms of ``key`` still in ``text`` (empty: none)."""
    found = {
        "repr-inner": repr(key)[2:-1],
        "hex": key.hex(),
        "HEX": key.hex().upper(),
        "base64": base64.b64encode(key).decode(),
        "md5": _md5_b64(key),
    }
    with contextlib.suppress(UnicodeDecodeError):
        found["utf8"] = key.decode()
    return [name for name, form in found.items() if form in text]


@pytest.mark.parametrize("key", KEYS, ids=KEY_IDS)
def test_every_form_of_an_sse_c_key_is_masked(key: bytes) -> None:
    """A registered SSE-C key (random bytes, or bytes whose repr uses quotes, backslashes,
    \\t/\\n escapes or non-ASCII UTF-8) is masked in each form a log line shows it: its
    bytes repr (whole, inner, inside a dict repr, inside a repr of a repr), hex (both
    cases), base64 (also as a bytes repr), the base64 MD5, and its UTF-8 decoding."""
    redact.register(key)
    for name, line in _lines(key).items():
        scrubbed = redact.scrub(line)
        assert not _leaks(key, scrubbed), (name, _leaks(key, scrubbed))
        assert redact.MASK in scrubbed, name


def test_the_forms_of_a_key_with_quotes_and_backslashes() -> None:
    """``forms`` lists the bytes repr as Python writes it: ``"`` quoting when the key has
    ``'`` and no ``"``, ``\\'`` and ``\\\\`` escapes otherwise, printable ASCII as itself."""
    key = KEY_WITH_APOSTROPHE
    assert repr(key).startswith('b"') and repr(key) in redact.forms(key)
    assert repr(key)[2:-1] in redact.forms(key)
    both = redact.forms(KEY_WITH_QUOTES)
    assert repr(KEY_WITH_QUOTES)[2:-1] in both
    assert "\\'\\\\\\t\\n\"" in repr(KEY_WITH_QUOTES)  # ', \, tab, newline, "
    assert _md5_b64(key) in redact.forms(key)


def test_a_string_secret_is_masked_as_a_repr_shows_it() -> None:
    """A string secret with a backslash or a quote is masked also in a dict's repr, which
    doubles the backslash."""
    redact.register("pa\\ss'word-1234")
    assert redact.scrub(repr({"p": "pa\\ss'word-1234"})) == "{'p': \"***\"}"


def test_log_filter_masks_a_bytes_key_in_the_records_arguments() -> None:
    """s3transfer's record (``'Executing task %s with kwargs %s'``, the key in a dict in
    the arguments) reaches handlers with every form of the key masked, formatted with
    ``%(message)s`` and with its arguments."""
    key = KEY_WITH_QUOTES
    redact.register(key)
    kwargs = {"extra_args": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}}
    record = logging.LogRecord(
        "s3transfer.tasks", logging.DEBUG, __file__, 1, "Executing task %s with kwargs %s",
        ("UploadPartTask", kwargs), None,
    )
    assert redact.RedactingFilter().filter(record)
    message = logging.Formatter("%(message)s").format(record)
    assert "'SSECustomerKey': ***" in message
    assert not _leaks(key, message + repr(record.args) + str(record.msg))


def test_log_filter_masks_a_key_in_the_exception_text() -> None:
    """A record logged with ``exc_info`` whose exception message holds the key (botocore's
    ParamValidationError shows the value) is rendered without the key."""
    key = bytes(range(32))
    redact.register(key)
    try:
        raise ValueError(f"Invalid type for parameter SSECustomerKey, value: {key!r}")
    except ValueError:
        record = logging.LogRecord(
            "botocore.endpoint", logging.DEBUG, __file__, 1, "failed", None, sys.exc_info()
        )
    assert redact.RedactingFilter().filter(record)
    text = logging.Formatter("%(message)s").format(record)
    assert "SSECustomerKey, value: ***" in text and not _leaks(key, text)


def test_install_covers_every_module_logger_without_importing_or_adding_handlers() -> None:
    """``install`` puts the filter on the logger of every module of botocore, boto3,
    s3transfer and urllib3 (records of a child logger do not pass its parent's filters),
    modules not imported yet included, and imports nothing, adds no handler and changes
    no level or record factory."""
    names = [n for library in ("botocore", "boto3", "s3transfer", "urllib3")
             for n in redact._module_names(library)]
    assert {"s3transfer.tasks", "s3transfer.utils", "s3transfer.futures", "botocore.endpoint",
            "botocore.hooks", "botocore.regions", "botocore.auth",
            "urllib3.connectionpool"} <= set(names)
    modules = set(sys.modules)
    root_handlers = list(logging.getLogger().handlers)
    factory = logging.getLogRecordFactory()
    before = {  # what the libraries (botocore's NullHandler) or other tests set up
        name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers))
        for name in names
    }
    redact.install()
    assert set(sys.modules) == modules
    assert logging.getLogger().handlers == root_handlers
    assert logging.getLogRecordFactory() is factory
    for name in names:
        logger = logging.getLogger(name)
        assert redact._FILTER in logger.filters, name
        assert (logger.level, logger.handlers) == before[name], name


AFTER_INSTALL = """
import logging, sys
from backend.src.libs.bucket.base import redact
assert "s3transfer" not in sys.modules and "botocore" not in sys.modules
key = bytes(range(100, 132))
redact.register(key)
redact.install()
import botocore.endpoint, s3transfer.tasks  # their loggers are made after install
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s %(message)s")
logging.getLogger("s3transfer.tasks").debug("kwargs %s", {"SSECustomerKey": key})
logging.getLogger("botocore.endpoint").debug("headers %s", key.hex())
"""


def test_a_module_imported_after_install_logs_through_the_filter() -> None:
    """In a fresh interpreter, ``install`` runs before botocore and s3transfer are
    imported; records of their module loggers (``s3transfer.tasks``,
    ``botocore.endpoint``), made on import and handled by a root handler, carry no form of
    the key: a child logger's records do not pass its parent's filter, so each module
    logger has its own."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", AFTER_INSTALL], cwd=root, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "s3transfer.tasks kwargs {'SSECustomerKey': ***}\nbotocore.endpoint headers ***\n"
    )
