"""Running a coroutine to its end from a synchronous test.

``asyncio.run`` refuses to start where an event loop already runs in the thread, and
one does in a test worker once a browser test's Playwright (sync API) has started there:
a test that calls ``asyncio.run`` passed alone and failed in the suite. A thread of its
own has no loop, whatever ran before in the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` on a thread of its own; its result, or its exception."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-asyncio") as thread:
        return thread.submit(asyncio.run, coroutine).result()
