"""The data contract of the ledgers: columns, vocabularies, validation.

See :mod:`features.contract.columns` for the columns and
:func:`features.contract.validate.validate_frame` for the validator.
"""

from features.contract.columns import ID_COLUMN, PII_COLUMNS, SCHEMAS, Column, contract_markdown, schema
from features.contract.validate import (
    Reject,
    Validated,
    content_hash,
    drop_duplicate_ids,
    map_headers,
    validate_frame,
)

__all__ = [
    "Column",
    "SCHEMAS",
    "ID_COLUMN",
    "PII_COLUMNS",
    "schema",
    "contract_markdown",
    "Reject",
    "Validated",
    "validate_frame",
    "drop_duplicate_ids",
    "map_headers",
    "content_hash",
]
