"""A lock between processes (the pytest-xdist workers of one run, or two runs), for set-up
steps that must not run twice at once: installing npm packages into one tree, creating the
system user the suite's own PostgreSQL runs as."""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(name: str) -> Iterator[None]:
    """Held by one process at a time per name; waits for it. The lock file lives in the
    temporary directory, outside the source tree, and the kernel releases the lock when
    its holder exits, even killed."""
    key = hashlib.sha256(name.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"poolmail-tests-{key}.lock"
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield
