"""``python -m backend.src.libs.bucket ...``: the ``bucket`` command line (see ``docs/cli.md``)
where the console script is not on ``PATH``. (In a checkout, ``python -m backend`` too.)"""

from backend.src.libs.bucket.cli import main

raise SystemExit(main())
