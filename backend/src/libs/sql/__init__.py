"""The SQL peer (MariaDB / MySQL): ``SQL`` (facade with return codes), ``SQLConfig``;
``ok`` narrows a result ``X | int`` to ``X`` (``core.results``).

Importing this package does not import mysql-connector: the pool opens on first use.
"""

from backend.src.libs.core.results import ok
from backend.src.libs.sql.client import SQL, ExecResult, Transaction, quote_identifier
from backend.src.libs.sql.config import SQLConfig
from backend.src.libs.sql.errors import (
    SQLAuthError,
    SQLConfigError,
    SQLConnectionError,
    SQLError,
    SQLIntegrityError,
    SQLPoolTimeout,
    SQLQueryError,
)

__all__ = [
    "SQL",
    "ExecResult",
    "SQLAuthError",
    "SQLConfig",
    "SQLConfigError",
    "SQLConnectionError",
    "SQLError",
    "SQLIntegrityError",
    "SQLPoolTimeout",
    "SQLQueryError",
    "Transaction",
    "ok",
    "quote_identifier",
]
