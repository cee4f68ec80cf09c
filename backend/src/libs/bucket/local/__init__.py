"""The local folder store (``LocalStore``), the embedded default."""
