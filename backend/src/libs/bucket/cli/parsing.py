"""The command line's grammar: remote addresses (``s3://bucket/key``, ``local://bucket/key``)
and the argparse parser of every command.

The parser sets ``args.command`` (and ``args.bundle_command``) to the command's name;
``commands.COMMANDS`` maps names to the functions that run them.
"""

from __future__ import annotations

import argparse
import functools
import re
import urllib.parse
from dataclasses import dataclass

from backend.src.libs.bucket.cli.examples import epilog
from backend.src.libs.bucket.cli.status import EXIT_USAGE, PROG, CliError
from backend.src.libs.bucket.version import package_version


@dataclass(frozen=True)
class Remote:
    """A parsed ``s3://bucket/key`` (or ``local://bucket/key``) path."""

    scheme: str
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.key}"


def parse_remote(text: str) -> Remote | None:
    """``Remote`` for ``s3://`` and ``local://`` paths, None for a local file path.

    Raises:
        CliError: a remote path without a bucket name (exit status 2).
    """
    for scheme in ("s3", "local"):
        marker = f"{scheme}://"
        if text.startswith(marker):
            bucket, _, key = text[len(marker) :].partition("/")
            if not bucket:
                raise CliError(f"{text!r} names no bucket (write {marker}bucket/key)", EXIT_USAGE)
            return Remote(scheme, bucket, key)
    _refuse_misspelt_scheme(text)
    return None


_SCHEME_LIKE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):/")


def _refuse_misspelt_scheme(text: str) -> None:
    """A path that looks like a URL but is not ``s3://`` or ``local://`` (``s3:/media/``,
    ``S3://media``, ``s4://media``) is a typo, never a local file name; ``http://host:port/
    bucket/key`` is a server's URL with a path on it, which goes in ``--endpoint`` and
    ``s3://``.

    Raises:
        CliError: naming the argument and the spelling to use (status 2).
    """
    match = _SCHEME_LIKE.match(text)
    if match is None:
        return
    scheme = match["scheme"]
    if scheme.lower() in ("http", "https"):
        parts = urllib.parse.urlsplit(text)
        raise CliError(
            f"{text!r} is a server URL, not an address: name the server with --endpoint and "
            f"the object with s3:// (--endpoint {parts.scheme}://{parts.netloc} "
            f"s3://{parts.path.lstrip('/') or 'bucket/key'})",
            EXIT_USAGE,
        )
    wanted = scheme.lower() if scheme.lower() in ("s3", "local") else "s3"
    rest = text[match.end() :].lstrip("/")
    raise CliError(
        f"{text!r} is not a valid address (write {wanted}://{rest or 'bucket/key'})", EXIT_USAGE
    )


def require_remote(text: str, *, key: bool | None = None) -> Remote:
    """Parse a path that must be remote; ``key=True`` needs a key, ``False`` forbids one,
    None (the default) accepts both.

    Raises:
        CliError: a local path, or a key missing or present against the rule (status 2).
    """
    remote = parse_remote(text)
    if remote is None:
        raise CliError(f"{text!r} is not a remote path (write s3://bucket/key)", EXIT_USAGE)
    if key is True and not remote.key:
        raise CliError(f"{text!r} names no key (write s3://bucket/key)", EXIT_USAGE)
    if key is False and remote.key:
        raise CliError(f"{text!r} must name a bucket only (s3://bucket)", EXIT_USAGE)
    return remote


def folder(key: str) -> str:
    """``key`` as a folder prefix: ``""`` stays ``""``, otherwise it ends with ``/``."""
    return key if not key or key.endswith("/") else key + "/"


def target_key(destination: Remote, source_name: str) -> str:
    """The key a copy writes: the destination's key, or ``source_name`` appended when the
    destination names a bucket or a folder (ends with ``/``)."""
    if not destination.key or destination.key.endswith("/"):
        return destination.key + source_name
    return destination.key


def split_glob(key: str) -> tuple[str, str | None]:
    """A key with wildcards (``*``, ``?``, ``[...]``) split into the folder before the
    first wildcard and the pattern after it: ``docs/*.txt`` -> ``("docs/", "*.txt")``;
    a key without one -> ``(key, None)``."""
    first = next((i for i, c in enumerate(key) if c in "*?["), -1)
    if first < 0:
        return key, None
    cut = key.rfind("/", 0, first) + 1
    return key[:cut], key[cut:]


# ---------------------------------------------------------------------- parser
def _flag(p: argparse._ActionsContainer, *names: str, help: str, dest: str | None = None) -> None:
    """A yes/no option (``store_true``)."""
    p.add_argument(*names, action="store_true", dest=dest, help=help)


def _add_globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On sub-commands the defaults are SUPPRESSed, so an option given before the command
    # is not reset by the sub-parser: `bucket --json ls` and `bucket ls --json` both work.
    g = parser.add_argument_group(
        "global options", argument_default=None if top else argparse.SUPPRESS
    )
    g.add_argument(
        "--endpoint",
        metavar="URL",
        help="S3 endpoint URL (overrides S3_ENDPOINT_URL / BUCKET_HOST)",
    )
    g.add_argument("--profile", help="AWS shared-credentials profile (overrides AWS_PROFILE)")
    g.add_argument("--region", help="region (overrides AWS_REGION)")
    g.add_argument("--storage", choices=("s3", "local"), help="store kind (overrides STORAGE_TYPE)")
    g.add_argument(
        "--local-root",
        metavar="DIR",
        help="folder of the local store (overrides BUCKET_LOCAL_ROOT)",
    )
    g.add_argument(
        "--env-file",
        metavar="FILE",
        help="settings file read under the environment (default .env, if present; "
        "a FILE named here must exist)",
    )
    _flag(g, "--json", help="print one JSON document on stdout")
    _flag(g, "-q", "--quiet", help="no progress bars or per-object lines")
    _flag(g, "--debug", help="log requests to stderr and show tracebacks")


def _add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    text: str,
    *,
    parent: str = "",
) -> argparse.ArgumentParser:
    """A sub-command (a ``bundle`` action with ``parent``) with the global options repeated
    after its name; a top-level command's help text is also its description."""
    p = sub.add_parser(
        name,
        help=text,
        description=None if parent else text,
        epilog=epilog(f"{parent}{name}"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_globals(p, top=False)
    return p


def _filter(kind: str, pattern: str) -> tuple[str, str]:
    return (kind, pattern)


def _add_filters(p: argparse.ArgumentParser) -> None:
    """``--exclude`` / ``--include`` as aws has them: applied in the order given to the
    path relative to the source, the last that matches wins (``args.filters``)."""
    for kind, text in (
        ("exclude", "leave out paths matching PATTERN (fnmatch; repeatable, later filters win)"),
        ("include", "take paths matching PATTERN back in (after an --exclude)"),
    ):
        p.add_argument(
            f"--{kind}",
            action="append",
            dest="filters",
            type=functools.partial(_filter, kind),
            metavar="PATTERN",
            help=text,
        )


def _add_symlinks(p: argparse.ArgumentParser, *, leave: str, follow: str) -> None:
    """``--no-follow-symlinks`` / ``--follow-symlinks`` (``args.follow_symlinks``, default
    True) with their help texts."""
    p.add_argument("--no-follow-symlinks", dest="follow_symlinks", action="store_false", help=leave)
    p.add_argument(
        "--follow-symlinks", dest="follow_symlinks", action="store_true", default=True, help=follow
    )


def _add_bulk(p: argparse.ArgumentParser, *, no_progress: str) -> None:
    """The options ``cp``, ``mv`` and ``sync`` share after their own."""
    # 8, the library's BUCKET_MAX_WORKERS: 2,000 small files went 1.2-1.6x faster than with 4
    # on Ceph here, both ways (bench W8, bench/NOTES.md)
    p.add_argument("--workers", type=int, default=8, help="objects in parallel (default 8)")
    _flag(p, "--no-progress", help=no_progress)


def _add_only_show_errors(p: argparse.ArgumentParser) -> None:
    _flag(
        p, "--only-show-errors", help="print errors only (as -q: no per-object lines, no summary)"
    )


def _add_dry_run(p: argparse.ArgumentParser) -> None:
    _flag(
        p, "--dryrun", "--dry-run", dest="dry_run", help="show what would be done, change nothing"
    )


def _add_selection(p: argparse.ArgumentParser) -> None:
    """``--exclude`` / ``--include``, ``--dryrun`` and ``--raw`` (``cp``, ``mv``, ``rm``)."""
    _add_filters(p)
    _add_dry_run(p)
    _flag(
        p,
        "--raw",
        help="take the s3:// path literally: *, ? and [ ] are plain characters, never a pattern",
    )


def _add_transfer(p: argparse.ArgumentParser) -> None:
    """The arguments ``cp`` and ``mv`` share; the upload flags are those web backends use,
    as aws s3 names them."""
    p.add_argument(
        "source",
        nargs="+",
        help="file, directory (-r), s3://bucket/key (wildcards: *, ?, [...]) or -; "
        "several: each goes into the destination folder",
    )
    p.add_argument("destination", help="file, directory, s3://bucket/key or - for stdout")
    _flag(p, "-r", "--recursive", help="copy a tree")
    _add_selection(p)
    _add_bulk(p, no_progress="no progress bars")
    p.add_argument("--content-type", metavar="TYPE", help="uploads: the objects' content type")
    p.add_argument(
        "--metadata",
        action="append",
        metavar="NAME=VALUE",
        help="uploads: user metadata (repeatable)",
    )
    p.add_argument("--cache-control", metavar="VALUE", help="uploads: the Cache-Control header")
    p.add_argument("--sse", choices=("AES256", "aws:kms"), help="uploads: server-side encryption")
    p.add_argument(
        "--storage-class", metavar="CLASS", help="uploads: storage class (STANDARD, ...)"
    )
    p.add_argument(
        "--content-disposition", metavar="VALUE", help="uploads: the Content-Disposition header"
    )
    p.add_argument(
        "--content-encoding", metavar="VALUE", help="uploads: the Content-Encoding header (gzip...)"
    )
    p.add_argument(
        "--tagging", metavar="K=V&K2=V2", help="uploads: object tags, URL-query style (aws)"
    )
    p.add_argument(
        "--expected-size",
        type=int,
        metavar="BYTES",
        help="cp - (stdin): the stream's size, so that its parts fit S3's 10,000",
    )
    _add_symlinks(
        p,
        leave="cp -r of a folder: leave symbolic links out",
        follow="cp -r of a folder: read through symbolic links to files (the default)",
    )
    _add_only_show_errors(p)


def _object_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _add_command(sub, "ls", "list buckets, or objects under s3://bucket/prefix")
    p.add_argument("path", nargs="?", help="s3://bucket[/prefix] or a pattern (none: list buckets)")
    _flag(p, "-r", "--recursive", help="every key, no PRE folders")
    _flag(p, "--human-readable", help="sizes as KiB, MiB, ...")
    _flag(p, "--summarize", help="end with the count and total size")
    _flag(p, "--versions", help="every version and delete marker, with its id (whole keys, as -r)")

    p = _add_command(sub, "mb", "make a bucket")
    p.add_argument("bucket", help="s3://bucket")

    p = _add_command(sub, "rb", "remove a bucket")
    p.add_argument("bucket", help="s3://bucket")
    _flag(p, "--force", help="delete its objects first")

    _add_transfer(
        _add_command(sub, "cp", "copy files and objects (local<->remote, remote->remote)")
    )
    _add_transfer(_add_command(sub, "mv", "move files and objects: copy, then delete the source"))

    p = _add_command(sub, "rm", "delete an object (or a prefix with -r --force)")
    p.add_argument("path", help="s3://bucket/key (wildcards: *, ?, [...])")
    _flag(p, "-r", "--recursive", help="every key under the prefix")
    _flag(p, "--force", help="needed with -r")
    _add_selection(p)

    p = _add_command(sub, "stat", "show an object's properties, or a bucket's settings")
    p.add_argument("path", help="s3://bucket/key, or s3://bucket for its settings")

    p = _add_command(sub, "cat", "write an object to stdout")
    p.add_argument("path", help="s3://bucket/key")

    p = _add_command(sub, "presign", "print a presigned URL")
    p.add_argument("path", help="s3://bucket/key")
    p.add_argument(
        "--expires-in",
        "--expires",
        dest="expires",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="validity in seconds, 1..604800 (default 3600)",
    )
    p.add_argument("--method", choices=("GET", "PUT"), default="GET", help="default GET")

    p = _add_command(sub, "du", "count objects and bytes under a bucket or prefix")
    p.add_argument("path", help="s3://bucket[/prefix]")

    p = _add_command(sub, "versioning", "turn a bucket's versioning on or off, or show it")
    p.add_argument("action", choices=("enable", "suspend", "info"), help="enable, suspend or info")
    p.add_argument("bucket", help="s3://bucket")


def _sync_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _add_command(sub, "sync", "copy what is missing or different, then verify")
    side = "a folder, s3://bucket[/prefix] or local://bucket[/prefix]"
    p.add_argument("source", help=side)
    p.add_argument("destination", help=side)
    _add_dry_run(p)
    _flag(p, "--size-only", help="folders: compare sizes only, not times")
    _flag(
        p,
        "--exact-timestamps",
        help="downloads to a folder: same-sized files are skipped only when the times match",
    )
    _add_symlinks(
        p,
        leave="uploads from a folder: leave symbolic links out (their objects are kept)",
        follow="uploads from a folder: read through symbolic links (the default)",
    )
    _flag(p, "--delete", help="delete destination keys the source lacks")
    p.add_argument(
        "--verify",
        choices=("quick", "full", "off"),
        default="quick",
        help="final check: quick (default), full (hash every object), off",
    )
    _add_bulk(p, no_progress="accepted for aws; sync has no bars")
    _add_filters(p)
    _add_only_show_errors(p)
    p.add_argument("--source-env", metavar="FILE", help="read the source's settings from FILE")
    p.add_argument("--dest-env", metavar="FILE", help="read the destination's settings from FILE")


def _bundle_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _add_command(sub, "bundle", "evidence bundles: put, get, ls")
    actions = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    put = _add_command(actions, "put", "store a bundle (write-once)", parent="bundle ")
    put.add_argument("bucket", help="s3://bucket")
    put.add_argument("--type", required=True, help="bundle type")
    put.add_argument("--data", required=True, help="JSON object, @file or - for stdin")
    put.add_argument("--id", help="bundle id (default: a random one)")
    put.add_argument("--meta", action="append", metavar="NAME=VALUE", help="metadata (repeatable)")
    _flag(put, "--overwrite", help="replace a stored bundle")
    get = _add_command(actions, "get", "print a bundle (its checksum verified)", parent="bundle ")
    get.add_argument("bucket", help="s3://bucket")
    get.add_argument("id", help="bundle id")
    ls = _add_command(actions, "ls", "list bundles", parent="bundle ")
    ls.add_argument("bucket", help="s3://bucket")
    ls.add_argument("--type", help="only this type")
    ls.add_argument("--year", type=int, help="only this year (needs --type)")
    ls.add_argument("--month", type=int, help="only this month (needs --year)")


def _setup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _add_command(sub, "health", "one probe request; prints the latency")
    p = _add_command(sub, "doctor", "check the setup; one line per check with a fix")
    p.add_argument(
        "--bucket",
        help="bucket for the scratch test (default: the settings' bucket, else a temporary one)",
    )
    p = _add_command(sub, "gc", "remove temporary files left by killed writers (.tmp, .part)")
    p.add_argument("folder", nargs="*", help="folders to sweep (default: the local store's root)")
    p.add_argument(
        "--older-than",
        type=float,
        default=3600,
        metavar="SECONDS",
        help="only temporaries not modified for SECONDS (default 3600)",
    )
    _flag(p, "--dry-run", help="list them, remove nothing")
    p = _add_command(sub, "completion", "print a shell completion script")
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="bash, zsh or fish")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command; ``args.command`` names the one given."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Object storage from the shell: S3, MinIO, Ceph RGW, SeaweedFS or a "
        "local folder, configured by the environment or .env.",
        epilog=epilog(PROG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    _add_globals(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_object_commands, _sync_command, _bundle_command, _setup_commands):
        add(sub)
    return parser
