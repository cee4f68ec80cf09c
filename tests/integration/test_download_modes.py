"""download_file on both stores (issue 15, items 8 and 14): the mode of the file it writes,
and destination names up to the file-system limit.

Both stores write through ``localfiles.atomic_file`` (a temporary file beside the target,
renamed over it): an existing target keeps its permission bits, a new one gets ``0o666``
less the umask, and the temporary name is cut to fit ``NAME_MAX`` (255 bytes).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.src.libs.bucket import Bucket, InvalidArgument
from tests.conftest import StoreCase

pytestmark = pytest.mark.integration

DATA = b"downloaded bytes\n" * 100


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def put(case: StoreCase, key: str = "obj") -> None:
    case.store.put_object(case.bucket, key, DATA)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_download_over_an_existing_file_keeps_its_mode(
    any_store: StoreCase, tmp_path: Path, mode: int
) -> None:
    """Downloading over an existing file replaces its bytes and keeps its permission bits
    (0600 stays 0600, not the umask's 0644)."""
    put(any_store)
    target = tmp_path / "secret.bin"
    target.write_bytes(b"old")
    target.chmod(mode)
    assert any_store.store.download_file(any_store.bucket, "obj", target) == len(DATA)
    assert target.read_bytes() == DATA
    assert mode_of(target) == mode


def test_download_to_a_new_file_uses_the_umask(
    any_store: StoreCase, tmp_path: Path, umask_027: None
) -> None:
    """A new file gets 0666 less the process umask (0640 under umask 027)."""
    put(any_store)
    target = tmp_path / "new.bin"
    any_store.store.download_file(any_store.bucket, "obj", target)
    assert mode_of(target) == 0o640
    assert target.read_bytes() == DATA


def test_download_does_not_keep_set_id_bits(any_store: StoreCase, tmp_path: Path) -> None:
    """An existing file's set-user-ID bit is not carried over to the new bytes."""
    put(any_store)
    target = tmp_path / "tool"
    target.write_bytes(b"old")
    target.chmod(0o4750)
    any_store.store.download_file(any_store.bucket, "obj", target)
    assert mode_of(target) == 0o750


@pytest.mark.parametrize("length", [216, 217, 240, 255])
def test_download_to_a_long_file_name(any_store: StoreCase, tmp_path: Path, length: int) -> None:
    """Destination names of 216 to 255 bytes (the limit) work: the bytes arrive, no
    temporary file is left beside them."""
    put(any_store)
    target = tmp_path / ("n" * length)
    assert any_store.store.download_file(any_store.bucket, "obj", target) == len(DATA)
    assert target.read_bytes() == DATA
    assert os.listdir(tmp_path) == [target.name]


def test_download_to_a_long_non_ascii_file_name(any_store: StoreCase, tmp_path: Path) -> None:
    """A 254-byte name of two-byte characters: the temporary name is cut on bytes, the
    download works and leaves only the target."""
    put(any_store)
    target = tmp_path / ("é" * 127)
    any_store.store.download_file(any_store.bucket, "obj", target)
    assert target.read_bytes() == DATA
    assert os.listdir(tmp_path) == [target.name]


def test_download_to_a_too_long_file_name(any_store: StoreCase, tmp_path: Path) -> None:
    """A 256-byte name is refused before any request with InvalidArgument naming the
    core's ``path`` (code NameTooLong), not 'the key is too long'; through the facade
    the same message names ``destination_path``."""
    put(any_store)
    with pytest.raises(InvalidArgument) as caught:
        any_store.store.download_file(any_store.bucket, "obj", tmp_path / ("n" * 256))
    assert caught.value.code == "NameTooLong"
    assert caught.value.message.startswith("path ")
    assert os.listdir(tmp_path) == []
    facade = Bucket(store=any_store.store, auto_connect=False)
    too_long = tmp_path / ("n" * 256)
    assert facade.download_file(any_store.bucket, "obj", too_long) == facade.error
    assert isinstance(facade.last_error, InvalidArgument)
    assert facade.last_error.message.startswith("destination_path ")
    assert os.listdir(tmp_path) == []


def test_ranged_s3_download_keeps_mode_and_long_name(any_store: StoreCase, tmp_path: Path) -> None:
    """S3's parallel ranged download (above the threshold) writes the same temporary file:
    a 255-byte existing 0600 target keeps 0600 and gets every byte."""
    if any_store.kind != "s3":
        pytest.skip("ranged downloads are S3Store's")
    big = os.urandom(6 * 1024 * 1024 + 5)
    any_store.store.put_object(any_store.bucket, "big", big)
    target = tmp_path / ("r" * 255)
    target.write_bytes(b"old")
    target.chmod(0o600)
    any_store.store.download_file(  # type: ignore[call-arg]
        any_store.bucket, "big", target, multipart_threshold=1024 * 1024, part_size=5 * 1024 * 1024
    )
    assert target.read_bytes() == big
    assert mode_of(target) == 0o600
    assert os.listdir(tmp_path) == [target.name]
