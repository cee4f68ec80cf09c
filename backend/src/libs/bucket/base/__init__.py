"""The store-neutral bottom of ``bucket``: the error tree, the ``ObjectStore`` protocol
and its results, the capability protocols, a write's options and their rules, settings,
checks of input, redaction, atomic files, the destructive-work planner and bucket stats.
It imports no engine (boto3, botocore, obstore) and nothing above it (import-linter
contracts in ``pyproject.toml``)."""
