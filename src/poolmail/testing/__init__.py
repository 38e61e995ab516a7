"""poolmail for test suites: a server started on a free port (or one already running), and
helpers for what tests otherwise write by hand. The pytest plugin (`poolmail.pytest_plugin`)
wraps these in fixtures; other runners can use them directly:

    server = PoolmailServer.start(Path(tmp) / "poolmail")
    helper = Poolmail(server)
    ...
    server.stop()

Importing this package is cheap: boto3 and urllib load at the first call that needs them.
"""

from poolmail.testing.environment import sdk_environment
from poolmail.testing.errors import (
    NotFoundError,
    PoolmailError,
    ServerStartError,
    WaitTimeoutError,
)
from poolmail.testing.helper import Poolmail
from poolmail.testing.server import PoolmailServer

__all__ = [
    "NotFoundError",
    "Poolmail",
    "PoolmailError",
    "PoolmailServer",
    "ServerStartError",
    "WaitTimeoutError",
    "sdk_environment",
]
