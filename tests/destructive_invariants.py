"""The invariants of every destructive operation (issue 22), written once for the property
tests on the local store (tests/unit/test_destructive_properties.py) and on Ceph RGW
(tests/integration/test_destructive_properties_ceph.py).

What is here:

- **Trees.** ``trees()`` draws ``{key: bytes}``: keys of 1-3 segments taken from a small
  pool per tree (so nested and overlapping prefixes -- ``a``, ``a/a``, ``a-b`` -- are the
  rule, not the exception), segments full of ``[``, ``]``, ``?``, ``*``, ``-``, ``1``,
  ``.``, and, with ``tenants``, keys of two tenants sharing the bucket (``tenant-a/``,
  ``tenant-b/``) and a neighbour whose name starts like one (``tenant-a-x/``). Every
  value is different, so a lost or misplaced byte string shows.
- **A world.** ``World``: one store (local folder or S3 server), two buckets, the ``bucket``
  command run in-process (``cli.app.main``, the environment cleared of every
  ``BUCKET_*``/``S3_*``/``AWS_*`` variable and the working folder an empty one, so no
  ``.env`` leaks in) or in a child process with a hard timeout and a thread watchdog
  (``isolate=True``, for the commands that could recurse forever), and ``snapshot()``:
  ``{(bucket, key): bytes}`` of both buckets, read through an unscoped store (every
  tenant) that takes keys verbatim (``World.raw``).
- **The semantics, as oracles.** ``rm_sets``, ``rm_recursive_set``, ``transfer_plan``,
  ``move_refused``, ``download_expectation`` (and ``run_sync``'s expected destination):
  what the fixed code must do, computed from the snapshot before, independently of the
  library's code.
- **The checks.** ``run_rm``, ``run_rm_recursive``, ``run_cp``, ``run_mv``,
  ``run_download``, ``run_sync``, ``run_delete_bucket`` (and ``*_case``, which plant a
  drawn case in a fresh namespace first): snapshot, run, snapshot, and an ``Outcome``
  listing the violated invariants (none when all hold), one line each.
- **Cases.** The strategies (``rm_cases``, ``transfer_cases``, ``sync_cases``...) and
  issue 22's own reproductions (``ISSUE_*``), used as ``@example`` by both files.

Two readings the semantics leave open, taken the safe way: a ``cp -r`` one of whose
destinations is one of its own sources may be refused (status 2, nothing changed) or
made; an ``mv -r`` with nothing to move may be refused (2) or do nothing (0, 3).

The semantics (issue 22): a prefix is a folder; a store's ``BUCKET_PREFIX`` scopes it (its
keys are relative to the prefix); ``rm K`` deletes the object named exactly K when it
exists (wildcards or not), else expands K's pattern over K's folder (``*``/``?`` never
crossing ``/``); ``rm --raw`` never reads a pattern; ``rm -r --force P`` deletes exactly
the keys under ``P/`` (filters on the relative path); ``cp -r`` copies each listed key
literally and terminates; ``mv -r`` refuses (status 2, nothing changed) a destination folder
inside (or equal to) its source folder in one bucket, or a destination key that is one of
the source keys, and otherwise moves each byte string exactly once; whatever happens no
byte string is lost; ``sync --delete`` deletes only destination keys under the destination
folder whose source is absent (a source listed but unreadable counts as present, the
report is not ok); a scoped ``delete_bucket(force=True)`` deletes its own prefix only and
keeps the bucket; a download never lands two keys on one path.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from backend.src.libs.bucket.base.config import BucketConfig
from backend.src.libs.bucket.base.store import ObjectInfo, ObjectStore

ROOT = Path(__file__).resolve().parents[1]

Snapshot = dict[tuple[str, str], bytes]
"""``{(bucket, key): bytes}``: every object of a world's two buckets."""

Filters = tuple[tuple[str, str], ...]
"""``(("exclude" | "include", pattern), ...)`` in command-line order."""

SCOPE = "tenant-a"
"""The ``BUCKET_PREFIX`` of a scoped store; its keys are ``tenant-a/...`` in the bucket."""

TENANT_PREFIXES = ("tenant-a/", "tenant-b/", "tenant-a-x/")
"""Where tenant keys live: two tenants, and a neighbour named like the first."""

NAMED_SEGMENTS = (
    "a",
    "b",
    "a-b",
    "a*",
    "ab",
    "what?.txt",
    "whatX.txt",
    "report[1].txt",
    "report1.txt",
    "[ab]",
    "?",
    "*",
    "1",
    "a.",
)
"""Segments that pair up: a literal name with wildcard characters and a name its pattern
matches (``report[1].txt``/``report1.txt``, ``what?.txt``/``whatX.txt``, ``a*``/``ab``)."""

SEGMENT_ALPHABET = "ab[]?*-1."
WILDCARDS = "*?["

FILTER_SETS: tuple[Filters, ...] = (
    (),
    (),
    (("exclude", "*.txt"),),
    (("exclude", "*"), ("include", "a*")),
    (("exclude", "*/*"),),
    (("exclude", "what?.txt"),),
    (("exclude", "*"), ("include", "*[1]*")),
    (("include", "*"),),
)
"""``--exclude``/``--include`` lists for ``rm -r``: fnmatch patterns (``*`` crosses ``/``)
on the path relative to the folder, the last one that matches wins."""

DOWNLOAD_MODES = ("plain", "filtered", "one-worker")
"""``plain``: ``cp -r s3://b/P DIR`` (the library's ``download_directory``); ``filtered``:
with an ``--exclude`` that matches nothing (the key-by-key path); ``one-worker``:
``--workers 1``."""

RUNNER = r"""
import os, sys, threading, time
LIMIT = int(os.environ.pop("DESTRUCTIVE_THREAD_LIMIT", "100"))
def watch():
    while True:
        alive = threading.active_count()
        if alive > LIMIT:
            sys.stderr.write(f"RUNAWAY: {alive} threads alive (limit {LIMIT})\n")
            sys.stderr.flush()
            os._exit(97)
        time.sleep(0.005)
threading.Thread(target=watch, daemon=True).start()
from backend.src.libs.bucket.cli.app import main
sys.exit(main(sys.argv[1:]))
"""
"""The ``bucket`` command (``cli.app.main``, as the console script runs it) with a
watchdog: past ``DESTRUCTIVE_THREAD_LIMIT`` threads (a copy recursing into itself, issue
22 item 8) it stops the process with status 97 at once instead of letting it grow."""

RUNAWAY = 97
TIMED_OUT = -1


# ------------------------------------------------------------------- key helpers
def folder(prefix: str) -> str:
    """``prefix`` as a folder: ``""`` stays ``""``, else it ends with one ``/``."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def has_wildcard(text: str) -> bool:
    return any(c in text for c in WILDCARDS)


def split_glob(key: str) -> tuple[str, str | None]:
    """The folder before the first wildcard and the pattern after it (the CLI's rule,
    written again here as the oracle's own): ``d/x*.txt`` -> ``("d/", "x*.txt")``."""
    first = next((i for i, c in enumerate(key) if c in WILDCARDS), -1)
    if first < 0:
        return key, None
    cut = key.rfind("/", 0, first) + 1
    return key[:cut], key[cut:]


def glob_regex(pattern: str) -> re.Pattern[str]:
    """fnmatch's pattern language in which ``*``, ``?`` and ``[...]`` never match ``/``
    (a literal ``/`` in the pattern still matches ``/``)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape("["))
            else:
                body = fnmatch.translate("[" + pattern[i:j] + "]")
                assert body.endswith(r"\Z"), body
                out.append(f"(?!/)(?:{body[:-2]})")
                i = j + 1
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def included(relative: str, filters: Filters) -> bool:
    """aws's filter rule: in until a filter matches, the last match decides."""
    keep = True
    for kind, pattern in filters:
        if fnmatch.fnmatchcase(relative, pattern):
            keep = kind == "include"
    return keep


def folders_of(keys: Iterable[str]) -> list[str]:
    """Every folder the keys lie in (``a/b/c`` -> ``a``, ``a/b``), sorted."""
    found: set[str] = set()
    for key in keys:
        parts = key.split("/")
        for depth in range(1, len(parts)):
            found.add("/".join(parts[:depth]))
    return sorted(found)


def scoped(scope: str) -> str:
    """The folder a scope's keys live in, in the bucket (``""`` for an unscoped store)."""
    return folder(scope)


def view(snap: Snapshot, bucket: str, scope: str = "") -> dict[str, bytes]:
    """``{key: bytes}`` of ``bucket`` as a store scoped by ``scope`` sees it."""
    base = scoped(scope)
    return {k[len(base) :]: v for (b, k), v in snap.items() if b == bucket and k.startswith(base)}


def tree_view(tree: Mapping[str, bytes], scope: str = "") -> dict[str, bytes]:
    """The keys of a tree (full keys) a store scoped by ``scope`` sees, relative to it."""
    base = scoped(scope)
    return {k[len(base) :]: v for k, v in tree.items() if k.startswith(base)}


def show(snap: Mapping[tuple[str, str], bytes], limit: int = 1500) -> str:
    """A snapshot in one line, ``bucket/key=<value>`` sorted (cut after ``limit``
    characters)."""
    text = ", ".join(f"{b}/{k}={v.decode(errors='replace')}" for (b, k), v in sorted(snap.items()))
    if len(text) > limit:
        text = text[:limit] + f"... ({len(snap)} objects)"
    return "{" + text + "}"


# ------------------------------------------------------------------- strategies
def _segment_ok(segment: str) -> bool:
    return segment not in (".", "..")


SEGMENTS = st.one_of(
    st.sampled_from(NAMED_SEGMENTS),
    st.text(SEGMENT_ALPHABET, min_size=1, max_size=3).filter(_segment_ok),
)


@st.composite
def trees(
    draw: st.DrawFn,
    *,
    min_keys: int = 1,
    max_keys: int = 8,
    tenants: bool = True,
    extra_segments: Sequence[str] = (),
    tag: str = "v",
) -> dict[str, bytes]:
    """``{key: bytes}``: keys of 1-3 segments from a pool of 1-4 segments (so prefixes
    nest and overlap), optionally under a tenant folder; every value distinct."""
    segment = (
        SEGMENTS if not extra_segments else st.one_of(SEGMENTS, st.sampled_from(extra_segments))
    )
    pool = draw(st.lists(segment, min_size=1, max_size=4, unique=True))
    paths = st.lists(st.sampled_from(pool), min_size=1, max_size=3).map("/".join)
    if tenants:
        owner = st.sampled_from(("", "", *TENANT_PREFIXES, TENANT_PREFIXES[0]))
        paths = st.tuples(owner, paths).map("".join)
    room = len(pool) + len(pool) ** 2 + len(pool) ** 3  # distinct paths the pool allows
    keys = draw(st.lists(paths, min_size=min_keys, max_size=min(max_keys, room), unique=True))
    return {key: f"<{tag}{i}:{key}>".encode() for i, key in enumerate(keys)}


def wildcard_variant(key: str, how: str, at: int) -> str:
    """``key`` with one wildcard put in its last segment: ``?`` for a character, ``*``
    for the rest of the segment, or ``[c]`` around a character (``report1.txt`` ->
    ``report[1].txt``)."""
    start = key.rfind("/") + 1
    last = key[start:]
    if not last:
        return key + "*"
    i = at % len(last)
    if how == "?":
        last = last[:i] + "?" + last[i + 1 :]
    elif how == "*":
        last = last[:i] + "*"
    else:
        last = last[:i] + "[" + last[i] + "]" + last[i + 1 :]
    return key[:start] + last


@st.composite
def rm_targets(draw: st.DrawFn, keys: Sequence[str]) -> str:
    """A key for ``rm``: an existing one (often full of wildcard characters), a wildcard
    variant of one, or any key (often missing)."""
    choices = ["any"] + (["existing", "existing", "variant", "variant"] if keys else [])
    kind = draw(st.sampled_from(choices))
    if kind == "existing":
        return draw(st.sampled_from(sorted(keys)))
    if kind == "variant":
        key = draw(st.sampled_from(sorted(keys)))
        how = draw(st.sampled_from(["?", "*", "[]"]))
        return wildcard_variant(key, how, draw(st.integers(0, 20)))
    return draw(st.lists(SEGMENTS, min_size=1, max_size=3).map("/".join))


# ------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Trees:
    """What both buckets hold before an operation (full keys, every tenant)."""

    main: dict[str, bytes]
    other: dict[str, bytes]


TREES = st.builds(Trees, trees(), trees(max_keys=3, tag="o"))
SCOPES = st.sampled_from(["", SCOPE])

SENTINELS = {
    "tenant-a/sentinel": b"<a sentinel>",
    "tenant-b/sentinel": b"<b sentinel>",
    "tenant-a-x/sentinel": b"<a-x sentinel>",
    "sentinel": b"<root sentinel>",
}
"""A key of each tenant, of the neighbour and of the bucket's root, in every
``delete_bucket`` example."""


@st.composite
def tenant_states(draw: st.DrawFn) -> Trees:
    state = draw(TREES)
    return Trees({**SENTINELS, **state.main}, state.other)


@dataclass(frozen=True)
class RmCase:
    state: Trees
    scope: str
    target: str
    raw: bool = False


@st.composite
def rm_cases(draw: st.DrawFn, *, raw: bool | None = False) -> RmCase:
    """A tree, a scope and a key for ``rm`` (``raw=None``: ``--raw`` drawn too)."""
    state = draw(TREES)
    scope = draw(SCOPES)
    target = draw(rm_targets(sorted(tree_view(state.main, scope))))
    return RmCase(state, scope, target, draw(st.booleans()) if raw is None else raw)


@dataclass(frozen=True)
class RmRecursiveCase:
    state: Trees
    scope: str
    prefix: str
    filters: Filters


@st.composite
def rm_recursive_cases(draw: st.DrawFn, *, wildcard_folders: bool = False) -> RmRecursiveCase:
    """A folder of the tree (or a missing one, or the whole scope) and a filter list;
    with ``wildcard_folders`` only existing folders whose name holds a wildcard
    character (``a*``, ``what?.txt``...), the tree made to have one."""
    state = draw(TREES)
    scope = draw(SCOPES)
    if wildcard_folders:
        name = draw(st.sampled_from(["a*", "what?.txt", "report[1].txt", "[ab]", "?"]))
        base = scoped(scope)
        extra = {f"{base}{name}/x": b"<in the folder>", f"{base}{name}/y/z": b"<deeper>"}
        state = Trees({**state.main, **extra}, state.other)
        keys = tree_view(state.main, scope)
        prefix = draw(st.sampled_from([f for f in folders_of(keys) if has_wildcard(f)]))
    else:
        keys = tree_view(state.main, scope)
        plain = [f for f in folders_of(keys) if not has_wildcard(f)]
        literal = st.lists(SEGMENTS, min_size=1, max_size=2).map("/".join)
        prefix = draw(
            st.one_of(
                st.sampled_from(["", *plain, *plain]),
                literal.filter(lambda p: not has_wildcard(p)),
            )
        )
    if prefix and draw(st.booleans()):
        prefix += "/"
    return RmRecursiveCase(state, scope, prefix, draw(st.sampled_from(FILTER_SETS)))


@dataclass(frozen=True)
class TransferCase:
    state: Trees
    scope: str
    source: str
    dest: str
    other_bucket: bool
    slash: bool
    workers: int


@st.composite
def transfer_cases(draw: st.DrawFn, *, allow_same: bool) -> TransferCase:
    """A source folder of the tree (no wildcard character in its name: a source with one
    is a pattern, not these tests' subject; the keys under it are full of them) and a
    destination folder anywhere: inside it, around it, beside it, in the other bucket."""
    state = draw(TREES)
    scope = draw(SCOPES)
    keys = tree_view(state.main, scope)
    plain = [f for f in folders_of(keys) if not has_wildcard(f)]
    source = draw(st.sampled_from(["", *plain, *plain]))
    parent = source.rsplit("/", 1)[0] if "/" in source else ""
    inside = st.builds(lambda s: f"{source}/{s}" if source else s, SEGMENTS)
    dest = draw(
        st.one_of(
            st.sampled_from(["", parent, source, *folders_of(keys)]),
            inside,
            st.lists(SEGMENTS, min_size=1, max_size=2).map("/".join),
        )
    )
    other_bucket = draw(st.sampled_from([False, False, False, True]))
    if not allow_same and not other_bucket and dest == source:
        dest = f"{source}/copy" if source else "copy"
    slash = draw(st.booleans())
    return TransferCase(
        state, scope, source, dest, other_bucket, slash, draw(st.sampled_from([1, 4]))
    )


@dataclass(frozen=True)
class DownloadCase:
    state: Trees
    scope: str
    prefix: str
    mode: str


@st.composite
def download_cases(draw: st.DrawFn, *, dot_segments: Sequence[str] = (".",)) -> DownloadCase:
    """Trees whose keys may hold ``.`` (and, where the store takes them, ``..``) segments:
    ``a/./x`` and ``a/../x`` land where ``a/x`` and ``x`` do. The folder downloaded has
    no wildcard character (one with it is a pattern); the keys under it do."""
    state = Trees(draw(trees(extra_segments=tuple(dot_segments))), {})
    scope = draw(SCOPES)
    keys = tree_view(state.main, scope)
    prefixes = [
        f for f in folders_of(keys) if not set(f.split("/")) & {".", ".."} and not has_wildcard(f)
    ]
    prefix = draw(st.sampled_from(["", "", *prefixes]))
    return DownloadCase(state, scope, prefix, draw(st.sampled_from(DOWNLOAD_MODES)))


# ------------------------------------------------------------------- the world
@dataclass(repr=False)
class CliRun:
    """One run of the ``bucket`` command (shown without its environment: no secret in
    a failure's message)."""

    argv: list[str]
    env: dict[str, str]
    status: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        scope = self.env.get("BUCKET_PREFIX")
        prefix = f"BUCKET_PREFIX={scope} " if scope else ""
        shown = "bucket " + " ".join(a for a in self.argv if not a.startswith("/"))
        what = {RUNAWAY: "RUNAWAY (stopped by the thread watchdog)", TIMED_OUT: "TIMED OUT"}.get(
            self.status, str(self.status)
        )
        err = self.stderr.strip().replace("\n", " | ")[:600]
        return f"`{prefix}{shown}` -> status {what}; stderr: {err or '-'}"

    __repr__ = __str__


_ENV_PREFIXES = ("BUCKET_", "S3_", "AWS_")


def run_main(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> CliRun:
    """``cli.app.main(argv)`` in this process, with only ``env`` of the settings
    variables set and ``cwd`` (an empty folder: no ``.env``) as working folder."""
    from backend.src.libs.bucket.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(_ENV_PREFIXES) or name == "STORAGE_TYPE":
                mp.delenv(name)
        for name, value in env.items():
            mp.setenv(name, value)
        mp.chdir(cwd)
        status = main(list(argv), stdout=out, stderr=err)
    return CliRun(list(argv), dict(env), status, out.getvalue(), err.getvalue())


def run_isolated(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, *, timeout: float
) -> CliRun:
    """The ``bucket`` command in a child process (its own process group), killed after
    ``timeout`` seconds (status ``TIMED_OUT``) or when its threads run away (``RUNAWAY``):
    a command that would never end makes the test fail, never hang."""
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": str(ROOT),
        "DESTRUCTIVE_THREAD_LIMIT": "100",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, *argv],
        env=child_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        status = TIMED_OUT
        err += f"\n(killed after {timeout} s)".encode()
    return CliRun(
        list(argv),
        dict(env),
        status,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
    )


class World:
    """A store and two of its buckets, the ``bucket`` command on it, snapshots.

    Not a dataclass: Hypothesis prints a dataclass field by field in a failing example,
    and ``cli_env`` holds the secret key.

    Args:
        kind: ``local`` or ``s3``.
        bucket, other: the two buckets (both exist after ``reset``).
        scratch: a folder for this world's files (working folder, downloads, link targets).
        make_config: the settings of a store scoped by a prefix (``""``: unscoped),
            called as ``make_config(scope, **overrides)``.
        cli_env: the settings variables the command runs with (``BUCKET_PREFIX`` added
            per run).
        cli_globals: global options put before the command.
        timeout: seconds an isolated command may take.
    """

    def __init__(
        self,
        *,
        kind: str,
        bucket: str,
        other: str,
        scratch: Path,
        make_config: Callable[..., BucketConfig],
        cli_env: Mapping[str, str] | None = None,
        cli_globals: Sequence[str] = (),
        timeout: float = 30.0,
    ) -> None:
        self.kind = kind
        self.bucket = bucket
        self.other = other
        self.scratch = scratch
        self.make_config = make_config
        self.cli_env = dict(cli_env or {})
        self.cli_globals = tuple(cli_globals)
        self.timeout = timeout
        self._stores: dict[str, ObjectStore] = {}

    def __repr__(self) -> str:  # no settings (secrets) in a failure's message
        return f"World({self.kind!r}, bucket={self.bucket!r}, other={self.other!r})"

    @property
    def cwd(self) -> Path:
        path = self.scratch / "cwd"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def store(self, scope: str = "") -> ObjectStore:
        """The store scoped by ``scope`` (``""``: unscoped, every key of the bucket), with
        the default settings; ``RAW``: see ``raw``."""
        if scope not in self._stores:
            from backend.src.libs.bucket.factory import make_store

            if scope == RAW:
                config = self.make_config("", **verbatim_keys())
            else:
                config = self.make_config(scope)
            self._stores[scope] = make_store(config)
        return self._stores[scope]

    def close(self) -> None:
        for store in self._stores.values():
            with contextlib.suppress(Exception):
                store.close()
        self._stores.clear()

    def raw(self) -> ObjectStore:
        """The unscoped store that plants trees and takes snapshots: every tenant's keys,
        and keys as other tools may have written them (``BUCKET_PORTABLE_KEYS`` off where
        the library has the setting: ``a/./x``, ``a/../x``)."""
        return self.store(RAW)

    def bucket_exists(self, bucket: str) -> bool:
        return self.raw().bucket_exists(bucket)

    def reset(self) -> None:
        """Both buckets exist and are empty (a fresh key namespace for one example)."""
        store = self.raw()
        for bucket in (self.bucket, self.other):
            if not store.bucket_exists(bucket):
                store.create_bucket(bucket)
                continue
            keys = [e.key for e in store.list_objects(bucket) if isinstance(e, ObjectInfo)]
            if keys:
                result = store.delete_objects(bucket, keys)
                assert not list(result.errors), result.errors
            left = [e for e in store.list_objects(bucket)]
            assert not left, f"could not empty {bucket}: {left}"

    def plant(self, bucket: str, tree: Mapping[str, bytes]) -> None:
        store = self.raw()
        for key, data in tree.items():
            store.put_object(bucket, key, data)

    def snapshot(self) -> Snapshot:
        """Every object of both buckets (all tenants), read through the unscoped store."""
        store = self.raw()
        snap: Snapshot = {}
        for bucket in (self.bucket, self.other):
            if not store.bucket_exists(bucket):
                continue
            for entry in store.list_objects(bucket):
                if isinstance(entry, ObjectInfo):
                    snap[(bucket, entry.key)] = store.get_object(bucket, entry.key)
        return snap

    def cli(
        self,
        *args: str,
        scope: str = "",
        isolate: bool = False,
        extra_globals: Sequence[str] = (),
    ) -> CliRun:
        """Run ``bucket [globals] args`` on this world, scoped by ``BUCKET_PREFIX=scope``
        when given; ``isolate`` runs it in a child process with a hard timeout."""
        env = dict(self.cli_env)
        if scope:
            env["BUCKET_PREFIX"] = scope
        argv = [*self.cli_globals, *extra_globals, *args]
        if isolate:
            return run_isolated(argv, env, self.cwd, timeout=self.timeout)
        return run_main(argv, env, self.cwd)


def local_config(root: Path) -> Callable[..., BucketConfig]:
    def make(scope: str, **overrides: Any) -> BucketConfig:
        return BucketConfig(storage_type="local", local_root=str(root), prefix=scope, **overrides)

    return make


RAW = "\0raw"
"""``World.store``'s name for the raw store."""


def verbatim_keys() -> dict[str, Any]:
    """The setting that lets a store write and read keys as they are (``a/./x``), where
    the library has it (``BUCKET_PORTABLE_KEYS=false``): the trees stand for buckets
    other tools wrote."""
    return {"portable_keys": False} if hasattr(BucketConfig, "portable_keys") else {}


@contextlib.contextmanager
def local_world(base: Path | None = None, *, timeout: float = 30.0) -> Iterator[World]:
    """A fresh local folder store (its own temporary root) with two empty buckets."""
    with tempfile.TemporaryDirectory(dir=base, prefix="destructive-") as text:
        scratch = Path(text)
        root = scratch / "root"
        world = World(
            kind="local",
            bucket="prop-main",
            other="prop-other",
            scratch=scratch,
            make_config=local_config(root),
            cli_globals=("--storage", "local", "--local-root", str(root)),
            timeout=timeout,
        )
        try:
            world.reset()
            yield world
        finally:
            world.close()


# ------------------------------------------------------------------- checks
def changes(
    before: Snapshot, after: Snapshot
) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    """``(deleted, created, rewritten)`` keys between two snapshots."""
    deleted = set(before) - set(after)
    created = set(after) - set(before)
    rewritten = {k for k in set(before) & set(after) if before[k] != after[k]}
    return deleted, created, rewritten


def untouched_outside(
    before: Snapshot, after: Snapshot, allowed: set[tuple[str, str]], what: str
) -> list[str]:
    """Problems for every key outside ``allowed`` that was deleted, created or rewritten."""
    deleted, created, rewritten = changes(before, after)
    problems = []
    for bucket, key in sorted(deleted - allowed):
        problems.append(f"{what} deleted {bucket}/{key!r}, which it must not touch")
    for bucket, key in sorted(created - allowed):
        problems.append(f"{what} created {bucket}/{key!r}, which it must not touch")
    for bucket, key in sorted(rewritten - allowed):
        problems.append(f"{what} rewrote {bucket}/{key!r}, which it must not touch")
    return problems


@dataclass(repr=False)
class Outcome:
    """What one operation did and which invariants it broke."""

    run: CliRun | None
    before: Snapshot
    after: Snapshot
    problems: list[str]
    note: str = ""

    def message(self) -> str:
        """The broken invariants (the first 12), the run, the two snapshots (shortened)."""
        lines = self.problems[:12]
        if len(self.problems) > 12:
            lines.append(f"... and {len(self.problems) - 12} more problem(s)")
        if self.run is not None:
            lines.append(f"ran: {self.run}")
        if self.note:
            lines.append(self.note)
        lines.append(f"before: {show(self.before)}")
        lines.append(f"after:  {show(self.after)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Outcome({len(self.problems)} problem(s))"

    def check(self) -> None:
        assert not self.problems, self.message()


# rm ------------------------------------------------------------------------------
def rm_sets(keys: Iterable[str], target: str, *, raw: bool) -> tuple[set[str], set[str]]:
    """``(must, may)``: the keys (relative to the store's scope) ``rm target`` must
    delete and may delete.

    An existing key named exactly ``target`` is that key, alone. Otherwise a target with
    wildcards (not ``--raw``) is a pattern over its folder: the folder's own keys that
    match (fnmatch, no ``/`` in the remainder) must go; keys further down that match
    with ``*``/``?``/``[...]`` never crossing ``/`` (``a*/x``) may go -- the safest reading
    of "the keys of K's folder" for a pattern holding a ``/``.
    """
    keys = set(keys)
    if target in keys:
        return {target}, {target}
    if raw or not has_wildcard(target):
        return set(), set()
    base, pattern = split_glob(target)
    assert pattern is not None
    regex = glob_regex(pattern)
    must, may = set(), set()
    for key in keys:
        if not key.startswith(base):
            continue
        rest = key[len(base) :]
        if "/" not in rest and fnmatch.fnmatchcase(rest, pattern):
            must.add(key)
        if regex.fullmatch(rest):
            may.add(key)
    return must, may | must


def run_rm(world: World, *, scope: str, target: str, raw: bool = False) -> Outcome:
    """``bucket rm [--raw] s3://bucket/target`` (scoped by ``scope``) on the current
    state; checks: ``must`` ⊆ deleted ⊆ ``may`` (``rm_sets``), nothing else changed in
    either bucket, status 0 when something was deleted, else 3."""
    before = world.snapshot()
    must, may = rm_sets(view(before, world.bucket, scope), target, raw=raw)
    base = scoped(scope)
    args = ["rm", *(["--raw"] if raw else []), f"s3://{world.bucket}/{target}"]
    run = world.cli(*args, scope=scope)
    after = world.snapshot()
    allowed = {(world.bucket, base + k) for k in may}
    problems = untouched_outside(before, after, allowed, f"rm {target!r}")
    deleted = {k[len(base) :] for b, k in set(before) - set(after) if b == world.bucket}
    problems += [
        f"rm {target!r} kept {k!r}, which it had to delete" for k in sorted(must - deleted)
    ]
    problems += [
        f"rm {target!r} rewrote {b}/{k!r}"
        for b, k in changes(before, after)[2]
        if (b, k) in allowed
    ]
    created_in_scope = changes(before, after)[1] & allowed
    problems += [f"rm {target!r} created {b}/{k!r}" for b, k in sorted(created_in_scope)]
    expected_status = 0 if deleted & may else 3
    if not problems and run.status != expected_status:
        problems.append(f"rm {target!r}: status {run.status}, expected {expected_status}")
    note = f"must delete {sorted(must)}, may delete {sorted(may)}"
    return Outcome(run, before, after, problems, note)


# rm -r ----------------------------------------------------------------------------
def rm_recursive_set(keys: Iterable[str], prefix: str, filters: Filters) -> set[str]:
    """The keys ``rm -r --force prefix`` deletes: those under the folder ``prefix/`` whose
    path relative to it passes the filters. The folder is taken literally, wildcard
    characters or not (the literal-first reading of ``rm``)."""
    base = folder(prefix)
    return {k for k in keys if k.startswith(base) and included(k[len(base) :], filters)}


def filter_args(filters: Filters) -> list[str]:
    return [arg for kind, pattern in filters for arg in (f"--{kind}", pattern)]


def run_rm_recursive(world: World, *, scope: str, prefix: str, filters: Filters) -> Outcome:
    """``bucket rm -r --force [filters] s3://bucket/prefix``: deletes exactly
    ``rm_recursive_set``; nothing else changes; status 0 (0 or 3 when nothing is there)."""
    before = world.snapshot()
    expected = rm_recursive_set(view(before, world.bucket, scope), prefix, filters)
    base = scoped(scope)
    args = ["rm", "-r", "--force", *filter_args(filters), f"s3://{world.bucket}/{prefix}"]
    run = world.cli(*args, scope=scope)
    after = world.snapshot()
    wanted = {(world.bucket, base + k) for k in expected}
    problems = untouched_outside(before, after, wanted, f"rm -r {prefix!r}")
    deleted, created, rewritten = changes(before, after)
    for bucket, key in sorted(wanted - deleted):
        problems.append(f"rm -r {prefix!r} kept {bucket}/{key!r}, which it had to delete")
    for bucket, key in sorted((created | rewritten) & wanted):
        problems.append(f"rm -r {prefix!r} wrote {bucket}/{key!r}")
    statuses = {0} if expected else {0, 3}
    if run.status not in statuses:
        problems.append(f"rm -r {prefix!r}: status {run.status}, expected {sorted(statuses)}")
    return Outcome(run, before, after, problems, f"must delete exactly {sorted(expected)}")


# cp -r / mv -r ------------------------------------------------------------------------
def transfer_plan(keys: Iterable[str], source: str, dest: str) -> dict[str, str]:
    """``{destination key: source key}`` of ``cp -r``/``mv -r s3://b/source s3://b2/dest/``:
    each key under the folder ``source/`` to ``dest/`` + its path relative to the source
    (keys relative to the store's scope)."""
    src, dst = folder(source), folder(dest)
    return {dst + k[len(src) :]: k for k in sorted(keys) if k.startswith(src)}


def move_refused(plan: Mapping[str, str], source: str, dest: str, *, same_bucket: bool) -> bool:
    """``mv -r`` must refuse: in one bucket, the destination folder inside (or equal to) the
    source folder, or a destination key that is one of the source keys."""
    if not same_bucket:
        return False
    if folder(dest).startswith(folder(source)):
        return True
    return bool(set(plan) & set(plan.values()))


def _transfer_args(
    verb: str, world: World, source: str, dest: str, *, slash: bool, workers: int, dst_bucket: str
) -> list[str]:
    src_key = folder(source) if slash else source
    return [
        verb,
        "-r",
        "--workers",
        str(workers),
        f"s3://{world.bucket}/{src_key}",
        f"s3://{dst_bucket}/{folder(dest)}",
    ]


def _allowed_values(
    plan: Mapping[tuple[str, str], tuple[str, str]], before: Snapshot, dest: tuple[str, str]
) -> set[bytes]:
    """The byte strings a destination may hold after ``cp -r``: its source's bytes, or --
    when the source is itself a destination of the same copy (a folder copied into
    itself) and was written first -- what that source may hold."""
    values: set[bytes] = set()
    seen: set[tuple[str, str]] = set()
    current: tuple[str, str] | None = dest
    while current is not None and current in plan and current not in seen:
        seen.add(current)
        source = plan[current]
        if source in before:
            values.add(before[source])
        current = source
    return values


def run_cp(
    world: World,
    *,
    scope: str,
    source: str,
    dest: str,
    other_bucket: bool,
    slash: bool,
    workers: int,
) -> Outcome:
    """``bucket cp -r s3://b/source s3://b2/dest/`` in a child process (a copy that
    recursed forever must fail the test, not hang it). Checks: it ends, status 0, each
    destination key holds its source's bytes, no other key of either bucket changes.

    One reading left open (the semantics do not say): when a destination key is itself
    one of the copy's sources (``cp -r s3://b/ s3://b/a/`` with ``a`` and ``a/a``), the
    copy may be refused -- status 2, nothing changed -- or made, the overwritten source
    then passing on either its own bytes or what it received."""
    before = world.snapshot()
    dst_bucket = world.other if other_bucket else world.bucket
    base = scoped(scope)
    rel_plan = transfer_plan(view(before, world.bucket, scope), source, dest)
    plan = {(dst_bucket, base + d): (world.bucket, base + s) for d, s in rel_plan.items()}
    args = _transfer_args(
        "cp", world, source, dest, slash=slash, workers=workers, dst_bucket=dst_bucket
    )
    run = world.cli(*args, scope=scope, isolate=True)
    after = world.snapshot()
    what = f"cp -r {source!r} {dest!r}"
    problems = untouched_outside(before, after, set(plan), what)
    if run.status in (RUNAWAY, TIMED_OUT):
        problems.insert(0, f"{what} did not terminate")
    overwrites_a_source = bool(set(plan) & set(plan.values()))
    if overwrites_a_source and run.status == 2:
        if after != before:
            problems.append(f"{what} was refused (status 2) but changed something")
        note = f"refused; plan (destination <- source): {sorted((d[1], s[1]) for d, s in plan.items())}"
        return Outcome(run, before, after, problems, note)
    for target in sorted(plan):
        allowed = _allowed_values(plan, before, target)
        got = after.get(target)
        if got not in allowed:
            src = plan[target]
            problems.append(
                f"{what}: {target[0]}/{target[1]!r} holds {got!r}, expected the bytes of "
                f"{src[0]}/{src[1]!r} {sorted(allowed)!r}"
            )
    statuses = {0} if plan else {0, 3}
    if run.status not in statuses:
        problems.append(f"{what}: status {run.status}, expected {sorted(statuses)}")
    note = f"plan (destination <- source): {sorted((d[1], s[1]) for d, s in plan.items())}"
    return Outcome(run, before, after, problems, note)


def run_mv(
    world: World,
    *,
    scope: str,
    source: str,
    dest: str,
    other_bucket: bool,
    slash: bool,
    workers: int,
) -> Outcome:
    """``bucket mv -r s3://b/source s3://b2/dest/`` in a child process. Checks: refused
    (status 2, nothing changed) exactly when ``move_refused``; otherwise status 0 and the
    exact result (sources gone, each byte string at its destination once); always: no byte
    string lost, no key outside sources and destinations changed, it ends."""
    before = world.snapshot()
    dst_bucket = world.other if other_bucket else world.bucket
    base = scoped(scope)
    rel_plan = transfer_plan(view(before, world.bucket, scope), source, dest)
    plan = {(dst_bucket, base + d): (world.bucket, base + s) for d, s in rel_plan.items()}
    refused = move_refused(rel_plan, source, dest, same_bucket=not other_bucket)
    args = _transfer_args(
        "mv", world, source, dest, slash=slash, workers=workers, dst_bucket=dst_bucket
    )
    run = world.cli(*args, scope=scope, isolate=True)
    after = world.snapshot()
    what = f"mv -r {source!r} {dest!r}"
    problems: list[str] = []
    if run.status in (RUNAWAY, TIMED_OUT):
        problems.append(f"{what} did not terminate")
    # whatever happened: no byte string lost, nothing outside touched
    for target, src in sorted(plan.items()):
        if after.get(src) != before[src] and after.get(target) != before[src]:
            problems.append(
                f"{what} LOST the bytes of {src[0]}/{src[1]!r} ({before[src]!r}): neither it "
                f"nor {target[0]}/{target[1]!r} holds them"
            )
    problems += untouched_outside(before, after, set(plan) | set(plan.values()), what)
    if not plan:
        # nothing to move: refusing (2) and doing nothing (0, 3) are both safe readings
        if run.status not in (0, 2, 3):
            problems.append(f"{what}: status {run.status}, expected 0, 2 or 3 (nothing to move)")
        if after != before:
            problems.append(f"{what} changed something with nothing to move")
    elif refused:
        if run.status != 2:
            problems.append(
                f"{what} must be refused with status 2 (destination folder inside the "
                f"source folder, or on a source key); got {run.status}"
            )
        if after != before:
            problems.append(f"{what} must change nothing when refused")
    else:
        expected = {k: v for k, v in before.items() if k not in set(plan.values())}
        expected.update({target: before[src] for target, src in plan.items()})
        if run.status != 0:
            problems.append(f"{what}: status {run.status}, expected 0")
        for key in sorted(set(expected) | set(after)):
            if expected.get(key) != after.get(key):
                problems.append(
                    f"{what}: {key[0]}/{key[1]!r} holds {after.get(key)!r}, expected {expected.get(key)!r}"
                )
    note = f"refused={refused}; plan (destination <- source): {sorted((d[1], s[1]) for d, s in plan.items())}"
    return Outcome(run, before, after, problems, note)


# cp -r download --------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadExpectation:
    """Which keys of a download are refused and which must land, byte for byte."""

    relative: dict[str, str]  # key -> its path below the folder
    suspect: frozenset[str]  # a '.', '..' or empty segment: refused
    conflicting: frozenset[str]  # a file on another key's folder (a and a/x)
    good: frozenset[str]  # every other key: downloaded at DIR/relative


def download_expectation(keys: Iterable[str], prefix: str) -> DownloadExpectation:
    base = folder(prefix)
    relative = {k: k[len(base) :] for k in keys if k.startswith(base) and not k.endswith("/")}
    suspect = {k for k, r in relative.items() if any(p in (".", "..", "") for p in r.split("/"))}
    plain = {k: r for k, r in relative.items() if k not in suspect}
    paths = set(plain.values())
    conflicting = {k for k, r in plain.items() if any(other.startswith(r + "/") for other in paths)}
    conflicting |= {
        k for k, r in plain.items() if any(r.startswith(other + "/") for other in paths)
    }
    good = set(plain) - conflicting
    return DownloadExpectation(
        relative, frozenset(suspect), frozenset(conflicting), frozenset(good)
    )


_DOWNLOAD_LINE = re.compile(r"^download: s3://(?P<bucket>[^/]+)/(?P<key>.*) to (?P<path>.*)$")


def _files_under(path: Path) -> dict[Path, bytes]:
    found: dict[Path, bytes] = {}
    for dirpath, _, names in os.walk(path):
        for name in names:
            file = Path(dirpath, name)
            if file.is_file() and not file.is_symlink():
                found[file] = file.read_bytes()
    return found


def run_download(world: World, *, scope: str, prefix: str, mode: str, depth: int = 5) -> Outcome:
    """``bucket cp -r s3://bucket/prefix DIR`` (child process). Checks: no two keys land
    on one local path (the ``download:`` lines name distinct paths, and what is on disk is
    what the last line for that path says); no key with a ``.``/``..``/empty segment is
    written; every other key not in a file/folder conflict is at ``DIR/relative`` byte for
    byte; nothing is written outside ``DIR``; status 0 exactly when nothing was refused.

    ``DIR`` is ``depth`` folders below a sandbox, so a ``..`` that escapes lands in the
    sandbox, where it is seen (keys have at most 3 segments)."""
    before = world.snapshot()
    keys = view(before, world.bucket, scope)
    expect = download_expectation(keys, prefix)
    sandbox = world.scratch / "sandbox"
    if sandbox.exists():
        import shutil

        shutil.rmtree(sandbox)
    target = sandbox.joinpath(*[f"d{i}" for i in range(depth)], "dl")
    target.mkdir(parents=True)
    extra = {
        "plain": [],
        "filtered": ["--exclude", "zz-no-such-path"],
        "one-worker": ["--workers", "1"],
    }[mode]
    run = world.cli(
        "cp", "-r", *extra, f"s3://{world.bucket}/{prefix}", str(target), scope=scope, isolate=True
    )
    after = world.snapshot()
    what = f"cp -r {prefix!r} DIR ({mode})"
    problems = untouched_outside(before, after, set(), what)
    if run.status in (RUNAWAY, TIMED_OUT):
        problems.append(f"{what} did not terminate")
    landed: dict[Path, list[str]] = {}
    for line in run.stdout.splitlines():
        match = _DOWNLOAD_LINE.match(line.strip())
        if match:
            landed.setdefault(Path(match["path"]).resolve(), []).append(match["key"])
    for path, names in sorted(landed.items()):
        if len(names) > 1:
            problems.append(f"{what}: keys {names} all landed on {path}")
        for name in names:
            if name in expect.suspect:
                problems.append(
                    f"{what}: downloaded {name!r}, which has a '.', '..' or empty segment"
                )
    files = _files_under(sandbox)
    root = target.resolve()
    by_path: dict[Path, list[str]] = {}
    for key, rel in expect.relative.items():
        by_path.setdefault((root / rel).resolve(), []).append(key)
    for file, data in sorted(files.items()):
        resolved = file.resolve()
        if root not in resolved.parents:
            problems.append(f"{what}: wrote {file} outside DIR")
            continue
        owners = [k for k in by_path.get(resolved, []) if k not in expect.suspect]
        if not owners:
            problems.append(
                f"{what}: {resolved.relative_to(root)} on disk belongs to no key without a '.'/'..' segment"
            )
        elif data not in {keys[k] for k in owners}:
            problems.append(
                f"{what}: {resolved.relative_to(root)} holds {data!r}, not the bytes of {owners}"
            )
    for key in sorted(expect.good):
        path = (root / expect.relative[key]).resolve()
        if files.get(path) != keys[key]:
            problems.append(
                f"{what}: {key!r} not downloaded byte for byte to {expect.relative[key]}"
            )
    refused = bool(expect.suspect or expect.conflicting)
    if refused and run.status == 0:
        problems.append(
            f"{what}: status 0 although {sorted(expect.suspect | expect.conflicting)} could not be downloaded"
        )
    if not refused and run.status != 0:
        problems.append(f"{what}: status {run.status}, expected 0")
    note = (
        f"suspect={sorted(expect.suspect)} conflicting={sorted(expect.conflicting)} "
        f"good={sorted(expect.good)}; stdout: {run.stdout.strip()[:800]!r}"
    )
    return Outcome(run, before, after, problems, note)


# sync --delete -------------------------------------------------------------------------
DAMAGES = ("trailer", "etag", "link-outside", "link-sibling")
"""How a source object is made unreadable but still there: the last byte of its trailer
changed (issue 22's case), a trailer without an ETag, the object file replaced by a
symbolic link to a valid object file outside the root or to another object's file."""


def damage_local_object(
    store: ObjectStore, bucket: str, key: str, how: str, *, scratch: Path, sibling: str | None
) -> None:
    """Make ``key``'s object file unreadable for the local store (see ``DAMAGES``)."""
    from backend.src.libs.bucket.local.store import _TRAILER, MAGIC

    path: Path = store.object_path(bucket, key)  # type: ignore[attr-defined]
    raw = path.read_bytes()
    if how == "trailer":
        path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 0x20]))
    elif how == "etag":
        length, magic = _TRAILER.unpack(raw[-_TRAILER.size :])
        assert magic == MAGIC
        header = json.loads(raw[-_TRAILER.size - length : -_TRAILER.size])
        header.pop("etag", None)
        body = json.dumps(header).encode()
        path.write_bytes(raw[: header["size"]] + body + _TRAILER.pack(len(body), MAGIC))
    else:
        if how == "link-sibling" and sibling is not None:
            target = store.object_path(bucket, sibling)  # type: ignore[attr-defined]
        else:
            outside = scratch / "outside"
            outside.mkdir(parents=True, exist_ok=True)
            target = outside / f"object-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
            target.write_bytes(raw)  # a valid object file: following the link would "work"
        path.unlink()
        os.symlink(target, path)


@dataclass(frozen=True)
class SyncCase:
    """A sync scenario: the source tree, which of its objects are damaged, what the
    destination held before (previous copies, same or stale, extras, neighbours)."""

    source: dict[str, bytes]
    src_prefix: str
    dst_prefix: str
    damaged: dict[str, str]  # source key -> how (DAMAGES)
    previous: dict[str, str]  # source key under src_prefix -> "same" | "stale"
    extras: tuple[str, ...]  # destination keys (relative to dst folder) without a source
    outside: tuple[str, ...]  # destination keys outside the destination folder


@st.composite
def sync_cases(draw: st.DrawFn, *, max_keys: int = 7) -> SyncCase:
    source = draw(trees(tenants=False, max_keys=max_keys, tag="s"))
    src_prefix = draw(st.sampled_from(["", *folders_of(source)]))
    dst_prefix = draw(st.sampled_from(["", src_prefix, "backup", "a", "a/a"]))
    under = sorted(k for k in source if k.startswith(folder(src_prefix)))
    damaged = draw(
        st.dictionaries(st.sampled_from(sorted(source)), st.sampled_from(DAMAGES), max_size=3)
    )
    previous = draw(
        st.fixed_dictionaries({}, optional={k: st.sampled_from(["same", "stale"]) for k in under})
    )
    relatives = {k[len(folder(src_prefix)) :] for k in under}
    extras = draw(
        st.lists(st.lists(SEGMENTS, min_size=1, max_size=2).map("/".join), max_size=3, unique=True)
    )
    extras = [e for e in extras if e not in relatives]
    dst_base = folder(dst_prefix)
    neighbours = (
        [dst_prefix.rstrip("/") + "-b/x", dst_prefix.rstrip("/") + "x", "zz/other"]
        if dst_prefix
        else []
    )
    outside = draw(st.lists(st.sampled_from(neighbours), unique=True)) if neighbours else []
    outside = [k for k in outside if not k.startswith(dst_base)]
    return SyncCase(
        source, src_prefix, dst_prefix, damaged, previous, tuple(extras), tuple(outside)
    )


@dataclass
class SyncSides:
    """Where a sync reads and writes: a local world's bucket (the source: local objects
    can be damaged) and a world's bucket (the destination); the command runs on
    ``runner`` with ``extra_globals``, naming the two sides ``src_url``/``dst_url``."""

    src: World
    src_bucket: str
    dst: World
    dst_bucket: str
    runner: World
    src_scheme: str = "local"
    extra_globals: tuple[str, ...] = ()


def run_sync(sides: SyncSides, case: SyncCase, *, via: str) -> Outcome:
    """``sync(delete=True)`` (``via="library"``) or ``bucket sync --delete local://src/P
    s3://dst/Q`` (``via="cli"``) from a local bucket with damaged objects. Checks, on the
    destination: every key under the destination folder whose source is absent is
    deleted; a key whose source is listed but unreadable keeps its bytes; every healthy
    source's bytes are copied; nothing outside the destination folder changes; the
    report is not ok (failed_count > 0; status non-zero) exactly when a source under the
    source folder is damaged; the source is never written."""
    src_store, dst_store = sides.src.store(), sides.dst.store()
    src_base, dst_base = folder(case.src_prefix), folder(case.dst_prefix)
    sides.src.plant(sides.src_bucket, case.source)
    planted: dict[str, bytes] = {}
    for key, how in case.previous.items():
        rel = key[len(src_base) :]
        planted[dst_base + rel] = (
            case.source[key] if how == "same" else b"<stale:" + key.encode() + b">"
        )
    for rel in case.extras:
        planted[dst_base + rel] = b"<extra:" + rel.encode() + b">"
    for key in case.outside:
        planted[key] = b"<outside:" + key.encode() + b">"
    sides.dst.plant(sides.dst_bucket, planted)
    keys = sorted(case.source)
    for key, how in case.damaged.items():
        sibling = next((k for k in keys if k != key and k not in case.damaged), None)
        damage_local_object(
            src_store, sides.src_bucket, key, how, scratch=sides.src.scratch, sibling=sibling
        )
    src_before = {k: v for k, v in sides.src.snapshot().items() if k[0] == sides.src_bucket}
    before = sides.dst.snapshot()
    run: CliRun | None = None
    report_note = ""
    if via == "library":
        from backend.src.libs.bucket.features.sync import sync

        report = sync(
            src_store,
            sides.src_bucket,
            dst_store,
            sides.dst_bucket,
            src_prefix=src_base,
            dst_prefix=dst_base,
            delete=True,
            workers=2,
        )
        failed_ok = (report.ok, report.failed_count)
        failures = [(f.key, f.reason[:80]) for f in report.failed]
        report_note = (
            f"report: ok={report.ok} failed_count={report.failed_count} "
            f"deleted={report.deleted} copied={report.copied} failed={failures}"
        )
    else:
        run = sides.runner.cli(
            "sync",
            "--delete",
            "--workers",
            "2",
            f"{sides.src_scheme}://{sides.src_bucket}/{case.src_prefix}",
            f"s3://{sides.dst_bucket}/{case.dst_prefix}",
            extra_globals=sides.extra_globals,
        )
        failed_ok = (run.status == 0, 0)
    after = sides.dst.snapshot()
    src_after = {k: v for k, v in sides.src.snapshot().items() if k[0] == sides.src_bucket}
    damaged_under = {k for k in case.damaged if k.startswith(src_base)}
    present = {k[len(src_base) :] for k in case.source if k.startswith(src_base)}
    healthy = {
        k[len(src_base) :]: v
        for k, v in case.source.items()
        if k.startswith(src_base) and k not in case.damaged
    }
    expected: Snapshot = {}
    for (bucket, key), value in before.items():
        if (
            bucket == sides.dst_bucket
            and key.startswith(dst_base)
            and key[len(dst_base) :] not in present
        ):
            continue  # the source lacks it: deleted
        expected[(bucket, key)] = value
    for rel, value in healthy.items():
        expected[(sides.dst_bucket, dst_base + rel)] = value
    problems: list[str] = []
    for item in sorted(set(expected) | set(after)):
        if expected.get(item) == after.get(item):
            continue
        bucket, name = item
        source_key = src_base + name[len(dst_base) :] if name.startswith(dst_base) else None
        reason = ""
        if source_key in damaged_under:
            how = case.damaged[source_key]
            reason = f" (its source {source_key!r} is there but unreadable: {how})"
        problems.append(
            f"sync --delete: {bucket}/{name!r} holds {after.get(item)!r}, "
            f"expected {expected.get(item)!r}{reason}"
        )
    if src_after != src_before:
        problems.append("sync wrote to its source")
    ok, failed_count = failed_ok
    if damaged_under:
        if ok:
            problems.append(
                f"sync reported ok (status 0) although {sorted(damaged_under)} could not be read"
            )
        if via == "library" and failed_count == 0:
            problems.append("sync's failed_count is 0 although a source could not be read")
    elif not ok:
        problems.append("sync reported a failure with every source readable")
    return Outcome(run, before, after, problems, report_note)


# delete_bucket(force=True) on a scoped store ----------------------------------------------
def run_delete_bucket(world: World, *, scope: str, via: str) -> Outcome:
    """``delete_bucket(bucket, force=True)`` (``via="library"``) or ``bucket rb --force``
    (``via="cli"``) on a store scoped by ``BUCKET_PREFIX=scope``. Checks: every key under
    ``scope/`` is deleted, every other key of both buckets keeps its bytes, the bucket
    still exists."""
    before = world.snapshot()
    base = scoped(scope)
    run: CliRun | None = None
    note = ""
    if via == "library":
        try:
            world.store(scope).delete_bucket(world.bucket, force=True)
        except Exception as exc:  # judged by the state below; shown in the message
            note = f"delete_bucket raised {type(exc).__name__}: {exc}"
    else:
        run = world.cli("rb", "--force", f"s3://{world.bucket}", scope=scope)
    exists = world.bucket_exists(world.bucket)
    after = world.snapshot()
    wanted = {k for k in before if k[0] == world.bucket and k[1].startswith(base)}
    what = (
        f"delete_bucket(force=True) scoped by {scope!r}"
        if via == "library"
        else f"rb --force (BUCKET_PREFIX={scope})"
    )
    problems = untouched_outside(before, after, wanted, what)
    problems += [f"{what} kept {b}/{k!r} of its own prefix" for b, k in sorted(wanted & set(after))]
    if not exists:
        problems.insert(
            0, f"{what} deleted the bucket {world.bucket!r} itself (other tenants' bucket)"
        )
    return Outcome(run, before, after, problems, note)


def call(fn: Callable[..., Outcome], *args: Any, **kwargs: Any) -> Outcome:
    """``fn(*args, **kwargs)``, its outcome checked (raises AssertionError listing every
    broken invariant)."""
    outcome = fn(*args, **kwargs)
    outcome.check()
    return outcome


# ------------------------------------------------------------------- cases run
def prepare(world: World, state: Trees) -> None:
    """A fresh key namespace: both buckets emptied (or made), then the trees planted."""
    world.reset()
    world.plant(world.bucket, state.main)
    world.plant(world.other, state.other)


def rm_case(world: World, case: RmCase) -> Outcome:
    prepare(world, case.state)
    return run_rm(world, scope=case.scope, target=case.target, raw=case.raw)


def rm_recursive_case(world: World, case: RmRecursiveCase) -> Outcome:
    prepare(world, case.state)
    return run_rm_recursive(world, scope=case.scope, prefix=case.prefix, filters=case.filters)


def transfer_case(world: World, case: TransferCase, *, verb: str) -> Outcome:
    prepare(world, case.state)
    run = run_cp if verb == "cp" else run_mv
    return run(
        world,
        scope=case.scope,
        source=case.source,
        dest=case.dest,
        other_bucket=case.other_bucket,
        slash=case.slash,
        workers=case.workers,
    )


def download_case(world: World, case: DownloadCase) -> Outcome:
    prepare(world, case.state)
    return run_download(world, scope=case.scope, prefix=case.prefix, mode=case.mode)


def delete_bucket_case(world: World, state: Trees, *, via: str) -> Outcome:
    prepare(world, state)
    return run_delete_bucket(world, scope=SCOPE, via=via)


# ------------------------------------------------------------------- issue 22's cases
ISSUE_REPORTS = {"d/report[1].txt": b"<literal>", "d/report1.txt": b"<one>"}
ISSUE_WHATS = {"d/what?.txt": b"<literal>", "d/whatX.txt": b"<X>"}
ISSUE_RM_REPORT = RmCase(Trees(ISSUE_REPORTS, {}), "", "d/report[1].txt")
"""Item 4: ``rm 's3://b/d/report[1].txt'`` deleted ``d/report1.txt``."""
ISSUE_RM_WHAT = RmCase(Trees(ISSUE_WHATS, {}), "", "d/what?.txt")
"""Item 4: ``rm 's3://b/d/what?.txt'`` also deleted ``whatX.txt``."""
ISSUE_RM_FOLDER = RmRecursiveCase(
    Trees({"site/x": b"<1>", "site-other/x": b"<2>"}, {}), "", "site", ()
)
ISSUE_RM_WILDCARD_FOLDER = RmRecursiveCase(
    Trees({"a*/x": b"<1>", "ab/y": b"<2>"}, {}), "", "a*", ()
)
ISSUE_CP_WHAT = TransferCase(Trees(ISSUE_WHATS, {}), "", "d", "e", False, False, 4)
"""Items 7 and 8: ``cp -r`` of a prefix holding ``what?.txt`` recursed forever."""
ISSUE_CP_REPORT = TransferCase(Trees(ISSUE_REPORTS, {}), "", "d", "e", False, False, 1)
"""Item 7: a listed key re-read as a pattern (a wrong key copied)."""
ISSUE_MV_INSIDE = TransferCase(
    Trees({"a/x": b"<X>", "a/a/x": b"<Y>"}, {}), "", "a", "a/a", False, False, 4
)
"""Item 2: ``mv -r s3://b/a s3://b/a/a/`` left only ``a/a/a/x`` (X lost)."""
ISSUE_MV_ONTO_SOURCE = TransferCase(
    Trees({"p/q/x": b"<X>", "p/q/q/x": b"<Y>"}, {}), "", "p/q", "p", False, False, 4
)
"""Item 2: ``mv -r s3://b/p/q s3://b/p/`` with ``p/q/q/x``."""
ISSUE_DOWNLOAD_DOT = DownloadCase(
    Trees({"a/./plain.txt": b"<1>", "a/plain.txt": b"<2>"}, {}), "", "", "plain"
)
"""Item 9 on the local store (which refuses ``..`` keys): a ``.`` segment."""
ISSUE_DOWNLOAD_DOTDOT = DownloadCase(
    Trees({"a/../plain.txt": b"<1>", "plain.txt": b"<2>"}, {}), "", "", "plain"
)
"""Item 9: ``cp -r s3://b/ DIR`` landed ``a/../plain.txt`` and ``plain.txt`` on one file."""
ISSUE_SYNC_TRAILER = SyncCase(
    source={"p/a": b"<a>", "p/b": b"<b>"},
    src_prefix="p",
    dst_prefix="p",
    damaged={"p/a": "trailer"},
    previous={"p/a": "same", "p/b": "same"},
    extras=("gone",),
    outside=(),
)
"""Item 1: the destination copy of a source whose trailer's last byte changed was deleted."""
ISSUE_SYNC_LINK = SyncCase(
    source={"p/a": b"<a>", "p/b": b"<b>"},
    src_prefix="p",
    dst_prefix="p",
    damaged={"p/a": "link-outside"},
    previous={"p/a": "same"},
    extras=(),
    outside=("p-b/x",),
)
"""Item 1: the same with the object file replaced by a symbolic link."""
