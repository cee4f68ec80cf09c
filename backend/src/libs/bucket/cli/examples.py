"""The examples that end ``bucket --help`` and each command's ``--help`` (argparse epilogs,
shown as written by ``RawDescriptionHelpFormatter``). Every line is a command that parses
(``tests/cli/test_teaching.py`` checks it), with a ``#`` comment saying what it does."""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, ...]] = {
    "bucket": (
        "bucket ls s3://media/docs/                   # what is in a folder",
        "bucket cp -r ./site s3://media/site          # upload a folder",
        "bucket sync --delete ./site s3://media/site  # mirror it, as aws s3 sync",
        "bucket doctor                                # check the settings and the server",
    ),
    "ls": (
        "bucket ls                                    # the buckets",
        "bucket ls --human-readable --summarize s3://media/docs/",
        "bucket ls 's3://media/docs/*.txt'            # a pattern after the folder",
    ),
    "mb": (
        "bucket mb s3://media",
        "bucket --endpoint http://127.0.0.1:9000 mb s3://media   # on another server",
    ),
    "rb": (
        "bucket rb s3://media                         # only when empty",
        "bucket rb --force s3://media                 # delete its objects first",
    ),
    "cp": (
        "bucket cp report.txt s3://media/docs/        # into a folder, keeping the name",
        "bucket cp a.txt b.txt s3://media/multi/      # several files into one folder",
        "bucket cp -r --exclude '*.log' s3://media/site ./site",
        "bucket cp --expected-size 60000000000 - s3://media/dump.sql < dump.sql",
    ),
    "mv": (
        "bucket mv s3://media/inbox/a.txt s3://media/done/",
        "bucket mv -r ./outbox s3://media/inbox/      # each file deleted once uploaded",
    ),
    "rm": (
        "bucket rm s3://media/docs/old.txt",
        "bucket rm 's3://media/logs/*.gz'             # the keys a pattern matches",
        "bucket rm -r --force --dryrun s3://media/tmp/   # what -r --force would delete",
    ),
    "stat": (
        "bucket stat s3://media/docs/report.txt       # an object's properties",
        "bucket stat s3://media                       # a bucket's settings",
    ),
    "cat": (
        "bucket cat s3://media/docs/report.txt | head",
        "bucket cat s3://media/logs/app.log.gz | gunzip | grep ERROR",
    ),
    "presign": (
        "bucket presign --expires-in 600 s3://media/docs/report.txt",
        "bucket presign --method PUT s3://media/upload.bin",
    ),
    "du": (
        "bucket du s3://media",
        "bucket du --json s3://media/site             # the folder site/",
    ),
    "versioning": (
        "bucket versioning enable s3://media",
        "bucket versioning info s3://media",
        "bucket ls --versions s3://media/docs/        # every version, with its id",
    ),
    "sync": (
        "bucket sync ./site s3://media/site           # upload what is new or changed",
        "bucket sync --dryrun --delete s3://media s3://backup",
        "bucket sync --dest-env backup.env s3://media s3://media   # to another server",
    ),
    "bundle": (
        "bucket bundle put s3://media --type audit --id case-42 --data @result.json",
        "bucket bundle get s3://media case-42",
        "bucket bundle ls s3://media --type audit --year 2026",
    ),
    "bundle put": (
        'bucket bundle put s3://media --type audit --id case-42 --data \'{"result": "pass"}\'',
        "bucket bundle put s3://media --type audit --data - --meta who=ops < result.json",
    ),
    "bundle get": (
        "bucket bundle get s3://media case-42",
        "bucket bundle get s3://media case-42 --json",
    ),
    "bundle ls": (
        "bucket bundle ls s3://media",
        "bucket bundle ls s3://media --type audit --year 2026 --month 11",
    ),
    "health": (
        "bucket health",
        "bucket health --json",
    ),
    "doctor": (
        "bucket doctor",
        "bucket doctor --bucket media --json",
    ),
    "gc": (
        "bucket gc                                    # the local store's root",
        "bucket gc --dry-run --older-than 600 ~/Downloads",
    ),
    "completion": (
        "bucket completion bash > ~/.local/share/bash-completion/completions/bucket",
        'bucket completion zsh > "${fpath[1]}/_bucket"',
        "bucket completion fish > ~/.config/fish/completions/bucket.fish",
    ),
}
"""Two to four example lines per command (``"bundle put"`` for a sub-action), and for the
tool itself (``"bucket"``)."""

EXIT_STATUS = "exit status: 0 ok, 1 failure, 2 usage, 3 not found, 130 interrupted."


def epilog(name: str) -> str | None:
    """The ``examples:`` block of ``name``'s help (None when it has none); the tool's also
    states the exit statuses."""
    lines = EXAMPLES.get(name)
    if not lines:
        return None
    text = "examples:\n" + "\n".join(f"  {line}" for line in lines)
    return f"{text}\n\n{EXIT_STATUS}" if name == "bucket" else text
