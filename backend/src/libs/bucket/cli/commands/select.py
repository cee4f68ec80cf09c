"""Which objects a command works on: wildcards in a source path (``s3://b/docs/*.txt``)
and the ``--exclude`` / ``--include`` filters of ``cp -r``, ``mv -r`` and ``rm -r``.

Literal keys win: a path is read as a pattern only when it holds a wildcard, ``--raw``
was not given and nothing of that exact name exists (for one object, no key of that name;
for ``-r``, no key under the folder of that name). What a listing
returns is a key, never read as a pattern again: callers get ``ObjectInfo`` back and
pass its ``key`` on as it is. Every selection comes with its ``Scope`` (the bucket and the
folder it may touch), which the destructive-work planner checks each key against.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TypeVar

from backend.src.libs.bucket.base.planner import Scope
from backend.src.libs.bucket.base.store import ObjectInfo, ObjectStore
from backend.src.libs.bucket.cli.parsing import Remote, folder, split_glob
from backend.src.libs.bucket.cli.status import EXIT_NOT_FOUND, CliError

T = TypeVar("T")

Filters = Sequence[tuple[str, str]]
"""``("exclude" | "include", pattern)`` in the order given on the command line."""


def included(relative: str, filters: Filters | None) -> bool:
    """Whether ``relative`` (a path relative to the source) passes the filters: everything
    is in until a filter matches; the last filter that matches decides (aws semantics)."""
    keep = True
    for kind, pattern in filters or ():
        if fnmatchcase(relative, pattern):
            keep = kind == "include"
    return keep


def pattern_of(remote: Remote, *, raw: bool) -> tuple[str, str | None]:
    """``(folder, pattern)`` of a remote path: the folder before the first wildcard and
    the pattern after it; ``(key, None)`` without a wildcard or with ``--raw``."""
    return (remote.key, None) if raw else split_glob(remote.key)


def is_pattern(store: ObjectStore, remote: Remote, *, raw: bool, recursive: bool = False) -> bool:
    """True when ``remote`` is to be read as a pattern: it holds a wildcard, ``--raw`` was
    not given, and nothing of that exact name exists: no object (one HEAD), or with
    ``recursive``, no key under the folder of that name (one listing of one key). Asked
    only for a path with a wildcard."""
    if pattern_of(remote, raw=raw)[1] is None:
        return False
    if not recursive:
        return not store.object_exists(remote.bucket, remote.key)
    under = store.list_objects(remote.bucket, prefix=folder(remote.key), max_keys=1)
    return next(iter(under), None) is None


@dataclass(frozen=True)
class Selection:
    """What a source path names: its scope and whether it was read as a pattern."""

    scope: Scope
    pattern: str | None


def selection(remote: Remote, *, raw: bool) -> Selection:
    """The scope a listing of ``remote`` stays in: the folder before the first wildcard
    (a pattern), else ``remote.key`` as a folder."""
    base, pattern = pattern_of(remote, raw=raw)
    return Selection(Scope(remote.bucket, base if pattern is not None else folder(base)), pattern)


def matching_objects(
    store: ObjectStore,
    remote: Remote,
    *,
    recursive: bool,
    filters: Filters | None = None,
    raw: bool = False,
) -> Iterator[tuple[ObjectInfo, str]]:
    """The objects a source path names, each with its path relative to the source.

    ``s3://b/dir`` (or ``dir/``) with ``recursive``: every key under the folder ``dir/``.
    A key with wildcards (not ``raw``): the keys in its folder whose remainder matches
    (with ``recursive``, in every sub-folder too, ``*`` then crossing ``/``). ``filters``
    apply to the relative path. Every key yielded lies in ``selection(remote).scope``.
    """
    chosen = selection(remote, raw=raw)
    base, pattern = chosen.scope.prefix, chosen.pattern
    delimiter = None if recursive else "/"
    for entry in store.list_objects(remote.bucket, prefix=base, delimiter=delimiter):
        if not isinstance(entry, ObjectInfo) or not chosen.scope.holds(entry.key):
            continue
        relative = entry.key[len(base) :]
        if pattern is not None and not fnmatchcase(relative, pattern):
            continue
        if included(relative, filters):
            yield entry, relative


def matched(items: Iterable[T], pattern: str | None, path: str) -> Iterator[T]:
    """``items``, once it is known that a ``pattern`` (if any) matched at least one (else
    ``CliError``, status 3, naming ``path``)."""
    iterator = iter(items)
    first = next(iterator, None)
    if first is None:
        if pattern is not None:
            raise CliError(f"no key matches {path!r}", EXIT_NOT_FOUND)
        return iter(())
    return itertools.chain((first,), iterator)
