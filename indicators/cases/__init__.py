"""Case-level import: parse a department's CSV/XLSX export, validate every row, upsert cases, recompute counts.

A case is identified by its hospital and the department's own `case_id`: importing a case that is already
stored replaces it, so re-uploading a file or an overlapping period never counts a case twice.
By default a file is imported whole or not at all; `partial=True` imports only the valid rows.

Two paths, one set of rules:
- the *checking* path reads any CSV or XLSX cell by cell (`reading`, then `validating.validate_rows`),
  names every error by row and column, and upserts through a staging table (`postgres.stage` and
  `postgres.merge`) or the ORM (`storing.store_orm`, SQLite);
- the *streaming* path (`postgres.stream`: PostgreSQL, CSV) takes a file whose every line is in the
  canonical spelling (ISO dates, the English type codes, ASA 1–6 or empty, flags 0/1) and COPYs it straight
  into `indicators_case`, counting the rollup on the way. Anything it does not recognise, a case that is
  already stored or a case_id repeated in the file sends the whole file to the checking path, so every
  error message and the upsert rule come from one place.
Counts are aggregated from the rollup `CaseRollup` (`storing`). Every SQL statement written by hand for
PostgreSQL lives in `postgres`; `services.case_import` puts the paths together.
"""

from .reading import CaseFileError, file_sha256, read_rows
from .services import case_import
from .storing import case_counts, cases_q, period_values_recompute, rollup_refresh
from .validating import BOOL_FIELDS, CASE_COLUMNS, HEADER_LABELS, Validated, validate_rows

__all__ = [
    "BOOL_FIELDS",
    "CASE_COLUMNS",
    "HEADER_LABELS",
    "CaseFileError",
    "Validated",
    "case_counts",
    "case_import",
    "cases_q",
    "file_sha256",
    "period_values_recompute",
    "read_rows",
    "rollup_refresh",
    "validate_rows",
]
