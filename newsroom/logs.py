"""Log a refused request (400, 403) as one line; keep the traceback for a server error.

Django logs a PermissionDenied (403), a BadRequest or a SuspiciousOperation (400, such as a
request for a host not in ALLOWED_HOSTS) with the exception's traceback. The traceback shows
only where Django noticed the bad request, which is never a bug to fix, and scanners send
such requests all day, so it buries the 500s. The reason stays, at the end of the line.
"""

import logging


class OneLineClientErrors(logging.Filter):
    """On a handler: write 4xx records without their traceback."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if not (record.exc_info and status is not None and 400 <= status < 500):
            return True
        error = record.exc_info[1]
        message = record.getMessage()
        if str(error) and str(error) not in message:
            message = f"{message} ({type(error).__name__}: {error})"
        # A copy for this handler only: other handlers get the record as it was.
        return logging.makeLogRecord(
            {**vars(record), "msg": message, "args": (), "exc_info": None, "exc_text": None}
        )
