"""How a failure becomes an HTTP status, in one place for the API and the pages.

The library's exception tree decides: a bad parameter (QueryError) is 400, an
unknown id (DocumentNotFoundError) 404, an index that is missing, damaged or
otherwise unusable (IndexDirectoryError) 503. Anything else is a bug: 500,
logged with its traceback, and the client is told no more than that.
"""

from __future__ import annotations

import logging

from searchkit.errors import DocumentNotFoundError, IndexDirectoryError, QueryError, SearchkitError
from searchkit.serve.models import ErrorBody, ErrorDetail

log = logging.getLogger("searchkit")


def status_of(error: BaseException) -> int:
    """The HTTP status that reports ``error``."""
    if isinstance(error, QueryError):
        return 400
    if isinstance(error, DocumentNotFoundError):
        return 404
    if isinstance(error, (IndexDirectoryError, SearchkitError)):
        return 503
    return 500


def error_body(error: BaseException) -> tuple[int, ErrorBody]:
    """The status and body that report ``error``; an unexpected one is logged here."""
    status = status_of(error)
    if status == 500:
        log.error("unexpected error while serving a request", exc_info=error)
        detail = ErrorDetail("InternalError", "unexpected error — this is a bug in searchkit")
    else:
        detail = ErrorDetail(type(error).__name__, str(error))
    return status, ErrorBody(detail)
