"""The command line's grammar: remote addresses (``s3://bucket/key``, ``local://bucket/key``)
and the argparse parser of every command.

The parser sets ``args.command`` (and ``args.bundle_command``) to the command's name;
``commands.COMMANDS`` maps names to the functions that run them.
"""

from __future__ import annotations

import argparse
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
    ``S3://media``, ``s4://media``) is a typo, never a local file name.

    Raises:
        CliError: naming the argument and the spelling to use (status 2).
    """
    match = _SCHEME_LIKE.match(text)
    if match is None:
        return
    scheme = match["scheme"]
    if scheme.lower() in ("http", "https"):
        _refuse_endpoint_url(text)
    wanted = scheme.lower() if scheme.lower() in ("s3", "local") else "s3"
    rest = text[match.end() :].lstrip("/")
    raise CliError(
        f"{text!r} is not a valid address (write {wanted}://{rest or 'bucket/key'})", EXIT_USAGE
    )


def _refuse_endpoint_url(text: str) -> None:
    """``http://host:port/bucket/key`` is a server's URL with a path on it: the server goes
    in ``--endpoint``, the path in ``s3://``.

    Raises:
        CliError: naming both (status 2).
    """
    parts = urllib.parse.urlsplit(text)
    path = parts.path.lstrip("/")
    raise CliError(
        f"{text!r} is a server URL, not an address: name the server with --endpoint and "
        f"the object with s3:// (--endpoint {parts.scheme}://{parts.netloc} "
        f"s3://{path or 'bucket/key'})",
        EXIT_USAGE,
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
def _add_globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On sub-commands the defaults are SUPPRESSed, so an option given before the command
    # is not reset by the sub-parser: `bucket --json ls` and `bucket ls --json` both work.
    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        default=default(None),
        help="S3 endpoint URL (overrides S3_ENDPOINT_URL / BUCKET_HOST)",
    )
    group.add_argument(
        "--profile",
        default=default(None),
        help="AWS shared-credentials profile (overrides AWS_PROFILE)",
    )
    group.add_argument("--region", default=default(None), help="region (overrides AWS_REGION)")
    group.add_argument(
        "--storage",
        choices=("s3", "local"),
        default=default(None),
        help="store kind (overrides STORAGE_TYPE)",
    )
    group.add_argument(
        "--local-root",
        metavar="DIR",
        default=default(None),
        help="folder of the local store (overrides BUCKET_LOCAL_ROOT)",
    )
    group.add_argument(
        "--env-file",
        metavar="FILE",
        default=default(None),
        help="settings file read under the environment (default .env, if present; "
        "a FILE named here must exist)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="no progress bars or per-object lines",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log requests to stderr and show tracebacks",
    )


class _Commands:
    """Adds sub-commands, each with the global options repeated after its name."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(self, name: str, text: str) -> argparse.ArgumentParser:
        p = self.sub.add_parser(
            name,
            help=text,
            description=text,
            epilog=epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_globals(p, top=False)
        return p


def _exclude(pattern: str) -> tuple[str, str]:
    return ("exclude", pattern)


def _include(pattern: str) -> tuple[str, str]:
    return ("include", pattern)


def _add_filters(p: argparse.ArgumentParser) -> None:
    """``--exclude`` / ``--include`` as aws has them: applied in the order given to the
    path relative to the source, the last that matches wins (``args.filters``)."""
    p.add_argument(
        "--exclude",
        action="append",
        dest="filters",
        type=_exclude,
        metavar="PATTERN",
        help="leave out paths matching PATTERN (fnmatch; repeatable, later filters win)",
    )
    p.add_argument(
        "--include",
        action="append",
        dest="filters",
        type=_include,
        metavar="PATTERN",
        help="take paths matching PATTERN back in (after an --exclude)",
    )


def _add_dry_run(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dryrun",
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="show what would be done, change nothing",
    )


def _add_raw(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--raw",
        action="store_true",
        help="take the s3:// path literally: *, ? and [ ] are plain characters, never a pattern",
    )


def _add_workers(p: argparse.ArgumentParser) -> None:
    # 8, the library's BUCKET_MAX_WORKERS: 2,000 small files went 1.2-1.6x faster than with 4
    # on Ceph here, both ways (bench W8, bench/NOTES.md)
    p.add_argument("--workers", type=int, default=8, help="objects in parallel (default 8)")


def _add_only_show_errors(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--only-show-errors",
        action="store_true",
        help="print errors only (as -q: no per-object lines, no summary)",
    )


def _add_headers(p: argparse.ArgumentParser) -> None:
    """The upload flags web backends use, as aws s3 names them."""
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
    p.add_argument(
        "--no-follow-symlinks",
        dest="follow_symlinks",
        action="store_false",
        help="cp -r of a folder: leave symbolic links out",
    )
    p.add_argument(
        "--follow-symlinks",
        dest="follow_symlinks",
        action="store_true",
        default=True,
        help="cp -r of a folder: read through symbolic links to files (the default)",
    )


def _add_transfer(p: argparse.ArgumentParser) -> None:
    """The arguments ``cp`` and ``mv`` share."""
    p.add_argument(
        "source",
        nargs="+",
        help="file, directory (-r), s3://bucket/key (wildcards: *, ?, [...]) or -; "
        "several: each goes into the destination folder",
    )
    p.add_argument("destination", help="file, directory, s3://bucket/key or - for stdout")
    p.add_argument("-r", "--recursive", action="store_true", help="copy a tree")
    _add_filters(p)
    _add_dry_run(p)
    _add_raw(p)
    _add_workers(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
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
    _add_headers(p)
    _add_only_show_errors(p)


def _object_commands(commands: _Commands) -> None:
    p = commands.add("ls", "list buckets, or objects under s3://bucket/prefix")
    p.add_argument("path", nargs="?", help="s3://bucket[/prefix] or a pattern (none: list buckets)")
    p.add_argument("-r", "--recursive", action="store_true", help="every key, no PRE folders")
    p.add_argument("--human-readable", action="store_true", help="sizes as KiB, MiB, ...")
    p.add_argument("--summarize", action="store_true", help="end with the count and total size")
    p.add_argument(
        "--versions",
        action="store_true",
        help="every version and delete marker, with its id (whole keys, as -r)",
    )

    p = commands.add("mb", "make a bucket")
    p.add_argument("bucket", help="s3://bucket")

    p = commands.add("rb", "remove a bucket")
    p.add_argument("bucket", help="s3://bucket")
    p.add_argument("--force", action="store_true", help="delete its objects first")

    p = commands.add("cp", "copy files and objects (local<->remote, remote->remote)")
    _add_transfer(p)

    p = commands.add("mv", "move files and objects: copy, then delete the source")
    _add_transfer(p)

    p = commands.add("rm", "delete an object (or a prefix with -r --force)")
    p.add_argument("path", help="s3://bucket/key (wildcards: *, ?, [...])")
    p.add_argument("-r", "--recursive", action="store_true", help="every key under the prefix")
    p.add_argument("--force", action="store_true", help="needed with -r")
    _add_filters(p)
    _add_dry_run(p)
    _add_raw(p)

    p = commands.add("stat", "show an object's properties, or a bucket's settings")
    p.add_argument("path", help="s3://bucket/key, or s3://bucket for its settings")

    p = commands.add("cat", "write an object to stdout")
    p.add_argument("path", help="s3://bucket/key")

    p = commands.add("presign", "print a presigned URL")
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

    p = commands.add("du", "count objects and bytes under a bucket or prefix")
    p.add_argument("path", help="s3://bucket[/prefix]")

    p = commands.add("versioning", "turn a bucket's versioning on or off, or show it")
    p.add_argument("action", choices=("enable", "suspend", "info"), help="enable, suspend or info")
    p.add_argument("bucket", help="s3://bucket")


def _sync_command(commands: _Commands) -> None:
    p = commands.add("sync", "copy what is missing or different, then verify")
    p.add_argument("source", help="a folder, s3://bucket[/prefix] or local://bucket[/prefix]")
    p.add_argument("destination", help="a folder, s3://bucket[/prefix] or local://bucket[/prefix]")
    _add_dry_run(p)
    p.add_argument(
        "--size-only", action="store_true", help="folders: compare sizes only, not times"
    )
    p.add_argument(
        "--exact-timestamps",
        action="store_true",
        help="downloads to a folder: same-sized files are skipped only when the times match",
    )
    p.add_argument(
        "--no-follow-symlinks",
        dest="follow_symlinks",
        action="store_false",
        help="uploads from a folder: leave symbolic links out (their objects are kept)",
    )
    p.add_argument(
        "--follow-symlinks",
        dest="follow_symlinks",
        action="store_true",
        default=True,
        help="uploads from a folder: read through symbolic links (the default)",
    )
    p.add_argument("--delete", action="store_true", help="delete destination keys the source lacks")
    p.add_argument(
        "--verify",
        choices=("quick", "full", "off"),
        default="quick",
        help="final check: quick (default), full (hash every object), off",
    )
    _add_workers(p)
    p.add_argument("--no-progress", action="store_true", help="accepted for aws; sync has no bars")
    _add_filters(p)
    _add_only_show_errors(p)
    p.add_argument("--source-env", metavar="FILE", help="read the source's settings from FILE")
    p.add_argument("--dest-env", metavar="FILE", help="read the destination's settings from FILE")


def _bundle_command(commands: _Commands) -> None:
    p = commands.add("bundle", "evidence bundles: put, get, ls")
    bsub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    bp = bsub.add_parser(
        "put",
        help="store a bundle (write-once)",
        epilog=epilog("bundle put"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_globals(bp, top=False)
    bp.add_argument("bucket", help="s3://bucket")
    bp.add_argument("--type", required=True, help="bundle type")
    bp.add_argument("--data", required=True, help="JSON object, @file or - for stdin")
    bp.add_argument("--id", help="bundle id (default: a random one)")
    bp.add_argument("--meta", action="append", metavar="NAME=VALUE", help="metadata (repeatable)")
    bp.add_argument("--overwrite", action="store_true", help="replace a stored bundle")
    bg = bsub.add_parser(
        "get",
        help="print a bundle (its checksum verified)",
        epilog=epilog("bundle get"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_globals(bg, top=False)
    bg.add_argument("bucket", help="s3://bucket")
    bg.add_argument("id", help="bundle id")
    bl = bsub.add_parser(
        "ls",
        help="list bundles",
        epilog=epilog("bundle ls"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_globals(bl, top=False)
    bl.add_argument("bucket", help="s3://bucket")
    bl.add_argument("--type", help="only this type")
    bl.add_argument("--year", type=int, help="only this year (needs --type)")
    bl.add_argument("--month", type=int, help="only this month (needs --year)")


def _setup_commands(commands: _Commands) -> None:
    commands.add("health", "one probe request; prints the latency")
    p = commands.add("doctor", "check the setup; one line per check with a fix")
    p.add_argument(
        "--bucket",
        help="bucket for the scratch test (default: the settings' bucket, else a temporary one)",
    )
    p = commands.add("gc", "remove temporary files left by killed writers (.tmp, .part)")
    p.add_argument("folder", nargs="*", help="folders to sweep (default: the local store's root)")
    p.add_argument(
        "--older-than",
        type=float,
        default=3600,
        metavar="SECONDS",
        help="only temporaries not modified for SECONDS (default 3600)",
    )
    p.add_argument("--dry-run", action="store_true", help="list them, remove nothing")
    p = commands.add("completion", "print a shell completion script")
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
    commands = _Commands(parser)
    _object_commands(commands)
    _sync_command(commands)
    _bundle_command(commands)
    _setup_commands(commands)
    return parser
