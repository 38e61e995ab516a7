"""What the test helpers raise, each with a message that says what was looked for and what
was there instead:

    PoolmailError             the admin API refused a call, or answered something unexpected
    ├── ServerStartError      `poolmail serve` did not start (the message holds its log)
    ├── NotFoundError         nothing matches (no message, no code, no text); also LookupError
    └── WaitTimeoutError      nothing matching arrived in time; also TimeoutError
"""

from __future__ import annotations


class PoolmailError(Exception):
    """A call to poolmail's admin API failed: `status` and `code` are its answer's."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class ServerStartError(PoolmailError):
    pass


class NotFoundError(PoolmailError, LookupError):
    pass


class WaitTimeoutError(PoolmailError, TimeoutError):
    pass
