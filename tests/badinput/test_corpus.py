"""A table of bad inputs over the facade and the core, on Ceph RGW and on the local store.

Each case asserts: the right error class, a message naming what is wrong, no traceback in
anything the facade printed or logged, and nothing written or left behind (the bucket's
keys and ETags, the files folder and, for the local store, every file under its root are
the same before and after).

Key rules (``validation.check_key``, ``validation.check_portable_key``,
``local_store.check_local_key``): with ``BUCKET_PORTABLE_KEYS`` on (the default) every store
refuses the keys some supported store folds or refuses (empty, ``.`` and ``..`` segments,
a leading or trailing ``/``, backslashes, control characters, a segment over 255 UTF-8
bytes), the local store naming its own rule for the four kinds a folder can never hold.
With the setting off, S3 accepts any key of 1..1024 UTF-8 bytes without NUL, verbatim,
and the local store still refuses those four kinds. The ``KEYS_PER_STORE`` table checks
every side.

The CLI's bad input (addresses, options, exit statuses) is checked in ``tests/cli/``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backend.src.libs.bucket import (
    AuthenticationFailed,
    Bucket,
    BucketConfig,
    BucketNotFound,
    ConfigError,
    ConnectionFailed,
    InvalidArgument,
    NotSupported,
    ObjectNotFound,
    ObjectStore,
    PermissionDenied,
    StorageError,
)
from backend.src.libs.bucket.base.config import VARIABLES
from backend.src.libs.bucket.base.options import WriteOptions
from backend.src.libs.bucket.local.store import LocalStore
from backend.src.libs.bucket.s3.store import S3Store
from tests.badinput.conftest import EXISTING, Stage, is_root
from tests.conftest import config_for
from tests.servers import S3Server

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Case:
    """One bad input: what to call, the error expected and the words its message must hold."""

    id: str
    call: Callable[[Any, Stage], object]
    error: type[StorageError]
    words: tuple[str, ...]
    local_error: type[StorageError] | None = None  # when the local store answers otherwise
    local_words: tuple[str, ...] | None = None


def _f(fn: Callable[[Any, Stage], object]) -> Callable[[Any, Stage], object]:
    return fn


# --------------------------------------------------------------- facade cases
FACADE: list[Case] = [
    # bucket names
    Case("bucket-empty", lambda b, s: b.create_bucket(""), InvalidArgument, ("bucket_name", "3 to 63")),
    Case("bucket-2-chars", lambda b, s: b.create_bucket("ab"), InvalidArgument, ("3 to 63", "has 2")),
    Case("bucket-64-chars", lambda b, s: b.create_bucket("a" * 64), InvalidArgument, ("3 to 63", "has 64")),
    Case("bucket-uppercase", lambda b, s: b.create_bucket("Bad-Name"), InvalidArgument, ("'Bad-Name'", "lowercase")),
    Case("bucket-underscore", lambda b, s: b.create_bucket("bad_name"), InvalidArgument, ("'bad_name'", "lowercase")),
    Case("bucket-leading-hyphen", lambda b, s: b.create_bucket("-bad"), InvalidArgument, ("start and end",)),
    Case("bucket-double-period", lambda b, s: b.create_bucket("a..b"), InvalidArgument, ("adjacent periods",)),
    Case("bucket-ip-address", lambda b, s: b.create_bucket("192.168.1.1"), InvalidArgument, ("IP address",)),
    Case("bucket-xn-prefix", lambda b, s: b.create_bucket("xn--bucket"), InvalidArgument, ("xn--",)),
    Case("bucket-s3alias-suffix", lambda b, s: b.create_bucket("name-s3alias"), InvalidArgument, ("-s3alias",)),
    Case("bucket-wrong-type", lambda b, s: b.create_bucket(123), InvalidArgument, ("bucket_name", "string", "int")),
    Case("bucket-invalid-on-upload", lambda b, s: b.upload_stream("Bad_Bucket", b"x", "k"), InvalidArgument, ("'Bad_Bucket'",)),
    Case("bucket-missing", lambda b, s: b.upload_stream("bad-no-such-bucket-0", b"x", "k"), BucketNotFound, ("bucket does not exist",)),
    # keys
    Case("key-empty", lambda b, s: b.upload_stream(s.bucket, b"x", ""), InvalidArgument, ("key_name", "empty")),
    Case("key-1025-bytes", lambda b, s: b.upload_stream(s.bucket, b"x", "k" * 1025), InvalidArgument, ("1025 bytes", "1024")),
    Case("key-1026-utf8-bytes", lambda b, s: b.upload_stream(s.bucket, b"x", "é" * 513), InvalidArgument, ("1026 bytes", "UTF-8")),
    Case("key-nul", lambda b, s: b.upload_stream(s.bucket, b"x", "a\x00b"), InvalidArgument, ("key_name", "NUL")),
    Case("key-lone-surrogate", lambda b, s: b.upload_stream(s.bucket, b"x", "a\ud800"), InvalidArgument, ("UTF-8",)),
    Case("key-wrong-type", lambda b, s: b.upload_stream(s.bucket, b"x", 42), InvalidArgument, ("key_name", "string", "int")),
    # data and metadata
    Case("data-int", lambda b, s: b.upload_stream(s.bucket, 12345, "k"), InvalidArgument, ("data", "int")),
    Case("data-none", lambda b, s: b.upload_stream(s.bucket, None, "k"), InvalidArgument, ("data", "NoneType")),
    Case("metadata-oversized", lambda b, s: b.upload_stream(s.bucket, b"x", "k", metadata={"big": "v" * 3000}), InvalidArgument, ("metadata", "3003 bytes", "2048")),
    Case("metadata-bad-name", lambda b, s: b.upload_stream(s.bucket, b"x", "k", metadata={"bad name": "v"}), InvalidArgument, ("'bad name'",)),
    Case("metadata-non-ascii-name", lambda b, s: b.upload_stream(s.bucket, b"x", "k", metadata={"clé": "v"}), InvalidArgument, ("'clé'", "ASCII")),
    Case("metadata-int-value", lambda b, s: b.upload_stream(s.bucket, b"x", "k", metadata={"n": 5}), InvalidArgument, ("'n'", "string", "int")),
    Case("metadata-control-char", lambda b, s: b.upload_stream(s.bucket, b"x", "k", metadata={"n": "a\nb"}), InvalidArgument, ("'n'", "control")),
    Case("metadata-not-mapping", lambda b, s: b.upload_stream(s.bucket, b"x", "k", metadata="a=b"), InvalidArgument, ("metadata", "mapping", "str")),
    # ranges
    Case("range-negative-start", lambda b, s: b.get_file_range(s.bucket, "existing", start=-1), InvalidArgument, ("start", ">= 0")),
    Case("range-negative-end", lambda b, s: b.get_file_range(s.bucket, "existing", end=-5), InvalidArgument, ("end", ">= 0")),
    Case("range-reversed", lambda b, s: b.get_file_range(s.bucket, "existing", start=8, end=2), InvalidArgument, ("end (2)", "start (8)")),
    Case("range-past-end", lambda b, s: b.get_file_range(s.bucket, "existing", start=100), InvalidArgument, ("range",)),
    Case("range-wrong-type", lambda b, s: b.get_file_range(s.bucket, "existing", start="0"), InvalidArgument, ("start", "integer")),
    Case("range-float", lambda b, s: b.get_file_range(s.bucket, "existing", start=0, end=2.5), InvalidArgument, ("end", "integer")),
    # files
    Case("upload-missing-file", lambda b, s: b.upload_file(s.bucket, s.files / "nope.txt", "k"), InvalidArgument, ("nope.txt", "does not exist")),
    Case("upload-directory", lambda b, s: b.upload_file(s.bucket, s.files / "sub", "k"), InvalidArgument, ("sub", "not a regular file")),
    Case("upload-file-under-a-file", lambda b, s: b.upload_file(s.bucket, s.files / "good.txt" / "x", "k"), InvalidArgument, ("good.txt/x", "does not exist")),
    Case("download-into-directory", lambda b, s: b.download_file(s.bucket, "existing", s.files / "sub"), InvalidArgument, ("sub", "directory")),
    Case("download-into-missing-folder", lambda b, s: b.download_file(s.bucket, "existing", s.files / "nope" / "out"), InvalidArgument, ("nope", "does not exist")),
    Case("download-into-read-only-fs", lambda b, s: b.download_file(s.bucket, "existing", "/sys/bucket-out.bin"), PermissionDenied, ("Permission denied",)),
    Case("download-missing-key", lambda b, s: b.download_file(s.bucket, "nope", s.files / "out.bin"), ObjectNotFound, ("does not exist",)),
    Case("download-stream-missing-key", lambda b, s: b.download_stream(s.bucket, "nope"), ObjectNotFound, ("does not exist",)),
    Case("info-missing-key", lambda b, s: b.get_file_info(s.bucket, "nope"), ObjectNotFound, ()),
    # copy, move, delete, list
    Case("copy-missing-source", lambda b, s: b.copy_file(s.bucket, "nope", "dst"), ObjectNotFound, ("does not exist",)),
    Case("copy-empty-dest-key", lambda b, s: b.copy_file(s.bucket, "existing", ""), InvalidArgument, ("empty",)),
    Case("move-nul-dest-key", lambda b, s: b.move_file(s.bucket, "existing", "a\x00b"), InvalidArgument, ("NUL",)),
    Case("move-invalid-dest-bucket", lambda b, s: b.move_file(s.bucket, "existing", "k", dest_bucket="BAD"), InvalidArgument, ("'BAD'",)),
    Case("delete-many-with-empty-key", lambda b, s: b.delete_files(s.bucket, ["existing", ""]), InvalidArgument, ("keys", "empty")),
    Case("delete-many-none", lambda b, s: b.delete_files(s.bucket, None), InvalidArgument, ("key_names", "NoneType")),
    Case("delete-many-int", lambda b, s: b.delete_files(s.bucket, 5), InvalidArgument, ("key_names", "int")),
    Case("delete-many-float", lambda b, s: b.delete_files(s.bucket, 1.5), InvalidArgument, ("key_names", "float")),
    Case("delete-many-object", lambda b, s: b.delete_files(s.bucket, object()), InvalidArgument, ("key_names", "object")),
    Case("delete-many-str", lambda b, s: b.delete_files(s.bucket, "existing"), InvalidArgument, ("key_names", "str")),
    Case("delete-many-generator-raises", lambda b, s: b.delete_files(s.bucket, (k if k else 1 / 0 for k in ["existing", ""])), InvalidArgument, ("key_names", "ZeroDivisionError")),
    Case("list-page-size-zero", lambda b, s: b.list_files(s.bucket, page_size=0), InvalidArgument, ("page_size", "1 and 1000")),
    Case("list-page-size-1001", lambda b, s: b.list_files(s.bucket, page_size=1001), InvalidArgument, ("page_size", "1001")),
    Case("list-negative-max-keys", lambda b, s: b.list_files(s.bucket, max_keys=-1), InvalidArgument, ("max_keys", "-1")),
    Case("list-prefix-wrong-type", lambda b, s: b.list_files(s.bucket, prefix=5), InvalidArgument, ("prefix", "string")),
    # presigning (the local store has no URLs to sign)
    Case("presign-expiry-zero", lambda b, s: b.presign_url(s.bucket, "existing", expiration=0), InvalidArgument, ("expiration", "604800", "not 0"), NotSupported, ("local store",)),
    Case("presign-expiry-negative", lambda b, s: b.presign_url(s.bucket, "existing", expiration=-60), InvalidArgument, ("expiration", "not -60"), NotSupported, ("local store",)),
    Case("presign-expiry-8-days", lambda b, s: b.presign_url(s.bucket, "existing", expiration=8 * 86400), InvalidArgument, ("expiration", "7 days", "691200"), NotSupported, ("local store",)),
    Case("presign-expiry-wrong-type", lambda b, s: b.presign_url(s.bucket, "existing", expiration="soon"), InvalidArgument, ("expiration", "str"), NotSupported, ("local store",)),
    Case("presign-method-delete", lambda b, s: b.presign_url(s.bucket, "existing", method="DELETE"), InvalidArgument, ("method", "'DELETE'"), NotSupported, ("local store",)),
]
if not is_root():
    FACADE.append(Case("upload-unreadable-file", _f(lambda b, s: (
        (s.files / "secret.txt").write_bytes(b"x"), (s.files / "secret.txt").chmod(0),
        b.upload_file(s.bucket, s.files / "secret.txt", "k"))[-1]), InvalidArgument, ("secret.txt", "not readable")))


def _no_traceback(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    out, err = capfd.readouterr()
    text = out + err + caplog.text
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("case", FACADE, ids=[c.id for c in FACADE])
def test_facade_refuses(case: Case, stage: Stage, capfd: pytest.CaptureFixture[str],
                        caplog: pytest.LogCaptureFixture) -> None:
    """The facade returns error (never raises) with a last_error of the right class whose
    message names what is wrong; nothing is written or left behind."""
    caplog.set_level(logging.DEBUG)
    before = stage.snapshot()
    result = case.call(stage.facade, stage)
    error, words = case.error, case.words
    if stage.kind == "local" and case.local_error is not None:
        error, words = case.local_error, case.local_words or ()
    assert result == stage.facade.error
    assert isinstance(stage.facade.last_error, error), repr(stage.facade.last_error)
    message = str(stage.facade.last_error)
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    _no_traceback(capfd, caplog)
    assert stage.snapshot() == before
    assert stage.store.get_object(stage.bucket, "existing") == EXISTING


def test_facade_upload_file_path_wrong_type(stage: Stage) -> None:
    """upload_file with an int as the path: InvalidArgument naming file_path."""
    assert stage.facade.upload_file(stage.bucket, 123, "k") == stage.facade.error  # type: ignore[arg-type]
    assert isinstance(stage.facade.last_error, InvalidArgument)
    assert "file_path" in str(stage.facade.last_error)


# ---------------------------------------------------- keys that differ per store
_PORTABLE = "BUCKET_PORTABLE_KEYS"
_LOCAL = "the local store refuses it"
_TOO_LONG = "257 bytes once encoded for the local store"
# (id, key, words of the default refusal on S3, on the local store, and of the local
# store's refusal with BUCKET_PORTABLE_KEYS=false: None when it stores the key verbatim)
KEYS_PER_STORE: list[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...] | None]] = [
    ("dot-dot-segment", "../escape", ("'..' segment", _PORTABLE), ("'..' segment", _LOCAL), ("'..' segment", _LOCAL)),
    ("absolute-path", "/abs/path", ("starts with '/'", _PORTABLE), ("absolute path", _LOCAL), ("absolute path", _LOCAL)),
    ("control-char", "a\x01b", ("control character", _PORTABLE), ("control character", _LOCAL), ("control character", _LOCAL)),
    ("tab", "a\tb", ("control character", _PORTABLE), ("control character", _LOCAL), ("control character", _LOCAL)),
    ("del-char", "a\x7fb", ("control character", _PORTABLE), ("control character", _LOCAL), ("control character", _LOCAL)),
    ("backslash", "a\\b", ("backslash", _PORTABLE), ("backslash", _LOCAL), ("backslash", _LOCAL)),
    ("empty-segment", "a//b", ("empty segment", _PORTABLE), ("empty segment", _PORTABLE), None),
    ("trailing-slash", "dir/", ("ends with '/'", _PORTABLE), ("ends with '/'", _PORTABLE), None),
    ("dot-segment", "a/./b", ("'.' segment", _PORTABLE), ("'.' segment", _PORTABLE), None),
    ("segment-256-bytes", "d/" + "s" * 256, ("256 bytes", _PORTABLE), ("256 bytes", _PORTABLE), (_TOO_LONG,)),
]


@pytest.mark.parametrize(("key", "s3_words", "local_words"),
                         [k[1:4] for k in KEYS_PER_STORE], ids=[k[0] for k in KEYS_PER_STORE])
def test_unportable_keys_refused_on_every_store(
    key: str, s3_words: tuple[str, ...], local_words: tuple[str, ...], stage: Stage
) -> None:
    """Default settings: every store refuses these keys before any request with
    InvalidArgument (code InvalidKey) naming the rule, and BUCKET_PORTABLE_KEYS unless the
    local store refuses the key whatever the setting (then it names the local store);
    nothing is written."""
    facade = stage.facade
    before = stage.snapshot()
    assert facade.upload_stream(stage.bucket, b"payload", key) == facade.error
    error = facade.last_error
    assert isinstance(error, InvalidArgument) and error.code == "InvalidKey", repr(error)
    for word in s3_words if stage.kind == "s3" else local_words:
        assert word in str(error), (word, str(error))
    assert stage.snapshot() == before


def _verbatim_store(stage: Stage, request: pytest.FixtureRequest) -> ObjectStore:
    """A store of the stage's kind on the same bucket, with BUCKET_PORTABLE_KEYS=false."""
    if stage.kind == "s3":
        return S3Store(config_for(request.getfixturevalue("ceph_server"), max_retries=0,
                                  portable_keys=False))
    return LocalStore(BucketConfig(storage_type="local", local_root=str(stage.root),
                                   portable_keys=False))


@pytest.mark.parametrize(("key", "local_words"), [(k[1], k[4]) for k in KEYS_PER_STORE],
                         ids=[k[0] for k in KEYS_PER_STORE])
def test_keys_verbatim_without_portable_keys(
    key: str, local_words: tuple[str, ...] | None, stage: Stage, request: pytest.FixtureRequest
) -> None:
    """BUCKET_PORTABLE_KEYS=false: S3 stores every key of the table verbatim (read back,
    listed, and removed by a batch delete); the local store still refuses what a folder
    cannot hold ('..', a leading '/', control characters, backslashes, a name over 255
    bytes once encoded), naming its rule and writing nothing, and holds the others."""
    store = _verbatim_store(stage, request)
    facade = Bucket(store=store)
    try:
        before = stage.snapshot()
        result = facade.upload_stream(stage.bucket, b"payload", key)
        if stage.kind == "local" and local_words is not None:
            assert result == facade.error
            assert isinstance(facade.last_error, InvalidArgument)
            for word in local_words:
                assert word in str(facade.last_error), (word, str(facade.last_error))
            assert stage.snapshot() == before
            return
        assert result == facade.success
        assert facade.download_stream(stage.bucket, key) == b"payload"
        assert sorted(facade.get_bucket_files(stage.bucket)) == sorted(["existing", key])  # type: ignore[arg-type]
        deleted = facade.delete_files(stage.bucket, [key])
        assert not isinstance(deleted, int) and deleted.deleted == (key,) and deleted.ok
        assert facade.get_bucket_files(stage.bucket) == ["existing"]
    finally:
        store.close()


# ----------------------------------------------------------------- core cases
CORE: list[Case] = [
    Case("core-bucket-uppercase", lambda st, s: st.create_bucket("UPPER"), InvalidArgument, ("'UPPER'",)),
    Case("core-bucket-wrong-type", lambda st, s: st.put_object(None, "k", b"x"), InvalidArgument, ("bucket must be a string", "NoneType")),
    Case("core-key-empty", lambda st, s: st.put_object(s.bucket, "", b"x"), InvalidArgument, ("empty",)),
    Case("core-key-too-long", lambda st, s: st.put_object(s.bucket, "x" * 2000, b"x"), InvalidArgument, ("2000 bytes",)),
    Case("core-key-nul", lambda st, s: st.get_object(s.bucket, "\x00"), InvalidArgument, ("NUL",)),
    Case("core-range-reversed", lambda st, s: st.get_object(s.bucket, "existing", start=5, end=1), InvalidArgument, ("before start",)),
    Case("core-range-past-end", lambda st, s: st.get_object(s.bucket, "existing", start=10), InvalidArgument, ("range",)),
    Case("core-data-wrong-type", lambda st, s: st.put_object(s.bucket, "k", 3.14), InvalidArgument, ("float",)),
    Case("core-metadata-oversized", lambda st, s: st.put_object(
        s.bucket,
        "k",
        b"x",
        options=WriteOptions(metadata={f"m{i}": "v" * 100 for i in range(25)}),
    ), InvalidArgument, ("2048",)),
    Case("core-upload-missing-file", lambda st, s: st.upload_file(s.bucket, "k", str(s.files / "nope")), InvalidArgument, ("does not exist",)),
    Case("core-upload-path-wrong-type", lambda st, s: st.upload_file(s.bucket, "k", 123), InvalidArgument, ("path must be a path", "int")),
    Case("core-download-into-directory", lambda st, s: st.download_file(s.bucket, "existing", str(s.files)), InvalidArgument, ("directory",)),
    Case("core-download-dest-wrong-type", lambda st, s: st.download_file(s.bucket, "existing", None), InvalidArgument, ("path must be a path", "NoneType")),
    Case("core-head-missing", lambda st, s: st.head_object(s.bucket, "nope"), ObjectNotFound, ()),
    Case("core-missing-bucket", lambda st, s: st.get_object("bad-no-such-bucket-0", "k"), NotFoundErrors := BucketNotFound, ("bucket",)),
    Case("core-delete-missing-bucket", lambda st, s: st.delete_bucket("bad-no-such-bucket-0"), BucketNotFound, ("bucket",)),
]


@pytest.mark.parametrize("case", CORE, ids=[c.id for c in CORE])
def test_core_raises(case: Case, stage: Stage) -> None:
    """The core raises the right StorageError subclass naming what is wrong; nothing is
    written or left behind."""
    before = stage.snapshot()
    with pytest.raises(case.error) as caught:
        case.call(stage.store, stage)
    for word in case.words:
        assert word.lower() in str(caught.value).lower(), (word, str(caught.value))
    assert stage.snapshot() == before


# ------------------------------------------------------------------- settings
SETTINGS = [
    ("port-not-numeric", {"BUCKET_HOST": "127.0.0.1", "BUCKET_PORT": "abc"}, ("BUCKET_PORT", "integer", "'abc'")),
    ("port-out-of-range", {"BUCKET_HOST": "127.0.0.1", "BUCKET_PORT": "70000"}, ("BUCKET_PORT", "65535")),
    ("host-with-space", {"BUCKET_HOST": "my host"}, ("BUCKET_HOST", "'my host'")),
    ("endpoint-bad-scheme", {"S3_ENDPOINT_URL": "ftp://127.0.0.1:9000"}, ("S3_ENDPOINT_URL", "http or https")),
    ("connect-timeout-negative", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_CONNECT_TIMEOUT": "-1"}, ("S3_CONNECT_TIMEOUT", "positive")),
    ("read-timeout-zero", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_READ_TIMEOUT": "0"}, ("BUCKET_READ_TIMEOUT", "positive")),
    ("read-timeout-text", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_READ_TIMEOUT": "soon"}, ("BUCKET_READ_TIMEOUT", "'soon'")),
    ("signature-unknown", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_SIGNATURE_VERSION": "s2"}, ("BUCKET_SIGNATURE_VERSION", "s3v4", "'s2'")),
    ("retries-text", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_MAX_RETRIES": "many"}, ("S3_MAX_RETRIES", "'many'")),
    ("retries-negative", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_MAX_RETRIES": "-1"}, ("BUCKET_MAX_RETRIES", "-1")),
    ("storage-type-unknown", {"BUCKET_STORAGE_TYPE": "tape"}, ("BUCKET_STORAGE_TYPE", "'tape'")),
    ("region-invalid", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_REGION": "Europe West"}, ("S3_REGION", "'europe west'")),
    ("access-key-without-secret", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "AKIA"}, ("BUCKET_PASSWORD", "go together")),
    ("chunk-size-too-small", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_MULTIPART_CHUNKSIZE": "1MiB"}, ("BUCKET_MULTIPART_CHUNKSIZE", "5242880")),
    ("verify-ssl-unknown", {"S3_ENDPOINT_URL": "http://127.0.0.1:9", "BUCKET_VERIFY_SSL": "maybe"}, ("BUCKET_VERIFY_SSL", "'maybe'")),
]


@pytest.mark.parametrize(("env", "words"), [(e, w) for _, e, w in SETTINGS], ids=[i for i, _, _ in SETTINGS])
def test_bad_setting_core(env: dict[str, str], words: tuple[str, ...]) -> None:
    """BucketConfig.from_env raises ConfigError naming the variable and the bad value."""
    with pytest.raises(ConfigError) as caught:
        BucketConfig.from_env(env)
    for word in words:
        assert word.lower() in str(caught.value).lower(), (word, str(caught.value))


@pytest.mark.parametrize(("env", "words"), [(e, w) for _, e, w in SETTINGS], ids=[i for i, _, _ in SETTINGS])
def test_bad_setting_facade(env: dict[str, str], words: tuple[str, ...], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
                            caplog: pytest.LogCaptureFixture) -> None:
    """A Bucket reading a bad environment builds without raising; connect() and the first
    operation return error with a ConfigError naming the variable; nothing is created."""
    monkeypatch.chdir(tmp_path)  # no .env
    for names in VARIABLES.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    bucket = Bucket()
    assert bucket.connect() == bucket.error
    assert bucket.upload_stream("some-bucket", b"x", "k") == bucket.error
    assert isinstance(bucket.last_error, ConfigError)
    for word in words:
        assert word.lower() in str(bucket.last_error).lower()
    _no_traceback(capfd, caplog)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ----------------------------------------------------------------- connection
def _conn_cases(server: S3Server) -> dict[str, tuple[BucketConfig, type[StorageError], tuple[str, ...]]]:
    return {
        "wrong-secret": (config_for(server, secret_key="wrong-secret-0000"), AuthenticationFailed,
                         ("SignatureDoesNotMatch", "BUCKET_PASSWORD")),
        "wrong-access-key": (config_for(server, access_key="NOSUCHKEY0000"), AuthenticationFailed,
                             ("InvalidAccessKeyId", "BUCKET_USER")),
        "unreachable-host": (config_for(server, endpoint_url="http://unreachable.invalid:9000",
                                        max_retries=0, connect_timeout=1), ConnectionFailed,
                             ("reach", "unreachable.invalid")),
        "wrong-port": (config_for(server, endpoint_url="http://127.0.0.1:1", max_retries=0,
                                  connect_timeout=1), ConnectionFailed, ("reach", "127.0.0.1:1")),
    }


@pytest.mark.parametrize("name", ["wrong-secret", "wrong-access-key", "unreachable-host", "wrong-port"])
def test_bad_connection(name: str, ceph_server: S3Server, capfd: pytest.CaptureFixture[str],
                        caplog: pytest.LogCaptureFixture) -> None:
    """Wrong credentials, an unreachable host and a wrong port: every call returns error with
    the right class and a message naming the cause; nothing reaches the bucket."""
    config, error, words = _conn_cases(ceph_server)[name]
    good = S3Store(config_for(ceph_server))
    target = "bad-conn-" + name
    good.create_bucket(target)
    try:
        bucket = Bucket(config=config)
        assert bucket.connect() == bucket.error
        assert bucket.upload_stream(target, b"x", "k") == bucket.error
        assert isinstance(bucket.last_error, error)
        for word in words:
            assert word in str(bucket.last_error), (word, str(bucket.last_error))
        _no_traceback(capfd, caplog)
        assert list(good.list_objects(target)) == []
    finally:
        good.delete_bucket(target, force=True)
        good.close()
