"""``cp`` / ``mv`` of several sources into one folder, mc's form:
``bucket cp a.txt b.txt s3://b/multi/``. The last path is the destination, a folder or
prefix (``s3://b/multi`` is taken as ``multi/``); each source lands in it under its own
name (with ``-r``, a folder as the sub-folder of its name; a wildcard's matches straight
into it). The whole set is checked before the first copy: no two sources on one path, no
source inside another's destination (or the reverse), no stdin. Then each source is
copied as ``cp`` copies one; a failed one gets a line on stderr and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from backend.src.libs.bucket.base.errors import StorageError
from backend.src.libs.bucket.cli.commands.select import is_pattern, selection
from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import Remote, folder, parse_remote
from backend.src.libs.bucket.cli.status import EXIT_FAIL, EXIT_USAGE, PROG, CliError, status_of
from backend.src.libs.bucket.cli.words import describe

Done = list[dict[str, object]]
"""The copies made: ``{"source", "destination", "bytes"}`` each."""

CopyOne = Callable[[Context, str, str, Done], None]
"""``copy.copy_one`` or ``copy.copy_tree``: one source to one destination."""


@dataclass(frozen=True)
class Landing:
    """Where one ``source`` (as given) goes: the ``destination`` folder (ending in ``/``)
    handed to ``copy``, the ``target`` path it lands on (the folder itself for a wildcard),
    and for a remote source the ``scope`` it reads, ``(bucket, key or folder)``."""

    source: str
    destination: str
    target: str
    scope: tuple[str, str] | None


def _destination_folder(dst: str) -> str:
    """``dst`` as a folder (a remote prefix or a local folder) ending in ``/``.

    Raises:
        CliError: ``-`` or an existing file as the destination (status 2).
    """
    remote = parse_remote(dst)
    if remote is not None:
        return f"{remote.scheme}://{remote.bucket}/{folder(remote.key)}"
    path = Path(dst)
    if dst == "-" or (path.exists() and not path.is_dir()):
        raise CliError(
            f"{dst!r} is not a folder: with several sources the destination is a folder "
            "or an s3:// prefix",
            EXIT_USAGE,
        )
    return dst if dst.endswith("/") else dst + "/"


def _name(src: str, remote: Remote | None) -> str:
    """The name a source keeps in the destination folder (its last path segment)."""
    if remote is None:
        return Path(src).resolve().name
    return remote.key.rstrip("/").rsplit("/", 1)[-1] or remote.bucket


def _landing(ctx: Context, src: str, base: str) -> Landing:
    """Where ``src`` lands in the folder ``base``."""
    if src == "-":
        raise CliError("- (stdin) cannot be one of several sources", EXIT_USAGE)
    remote = parse_remote(src)
    recursive = bool(ctx.args.recursive)
    scope: tuple[str, str] | None = None
    if remote is not None:
        if is_pattern(ctx.store, remote, raw=ctx.args.raw, recursive=recursive):
            prefix = selection(remote, raw=False).scope.prefix
            return Landing(src, base, base, (remote.bucket, prefix))
        scope = (remote.bucket, folder(remote.key) if recursive else remote.key)
    name = _name(src, remote)
    if recursive:
        return Landing(src, f"{base}{name}/", f"{base}{name}/", scope)
    return Landing(src, base, base + name, scope)


def _overlap(a: str, b: str) -> bool:
    """Whether two keys or folders (ending in ``/``) touch: equal, or one inside the other."""
    return a == b or (a.endswith("/") and b.startswith(a)) or (b.endswith("/") and a.startswith(b))


def _check(landings: list[Landing]) -> None:
    """No two sources land on one path; no source reads where another one writes.

    Raises:
        CliError: naming the two sources (status 2); nothing was copied.
    """
    for i, one in enumerate(landings):
        for other in landings[i + 1 :]:
            if one.target == other.target and not one.target.endswith("/"):
                raise CliError(
                    f"{one.source!r} and {other.source!r} would both land on {one.target}",
                    EXIT_USAGE,
                )
            for reader, writer in ((one, other), (other, one)):
                if _writes_over(reader, writer):
                    raise CliError(
                        f"{writer.source!r} would be copied to {writer.target}, where "
                        f"{reader.source!r} is read: copy them in two commands",
                        EXIT_USAGE,
                    )


def _writes_over(reader: Landing, writer: Landing) -> bool:
    """Whether ``writer``'s copy lands where ``reader`` reads (same bucket)."""
    written = parse_remote(writer.target)
    if reader.scope is None or written is None:
        return False
    bucket, read = reader.scope
    return bucket == written.bucket and _overlap(read, written.key)


def copy_several(ctx: Context, sources: list[str], dst: str, done: Done, copy: CopyOne) -> None:
    """Copy (or, for ``mv``, move) each of ``sources`` into the folder ``dst`` with
    ``copy`` (``copy_one``, or ``copy_tree`` for ``-r``).

    Raises:
        CliError: a destination that is not a folder, stdin among the sources, or
            sources that collide (status 2, nothing copied); some sources failed (after a
            line each: their status when they all agree, else 1).
    """
    base = _destination_folder(dst)
    landings = [_landing(ctx, src, base) for src in sources]
    _check(landings)
    statuses: list[int] = []
    for landing in landings:
        try:
            copy(ctx, landing.source, landing.destination, done)
        except (CliError, StorageError) as exc:
            message = exc.message if isinstance(exc, CliError) else describe(exc)
            ctx.err(f"{PROG}: could not copy {landing.source}: {message}")
            statuses.append(exc.status if isinstance(exc, CliError) else status_of(exc))
    if statuses:
        status = statuses[0] if len(set(statuses)) == 1 else EXIT_FAIL
        raise CliError(f"{len(statuses)} of {len(landings)} sources failed", status)
