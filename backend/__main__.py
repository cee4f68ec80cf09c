"""``python -m backend ...``: the ``bucket`` command line (see ``docs/cli.md``)."""

from backend.src.libs.bucket.cli import main

raise SystemExit(main())
