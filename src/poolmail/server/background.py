"""Periodic work the server does on its own (re-checking pending domains, say).

Each job is a plain function of the server's services, run in a worker thread every
``interval`` seconds while the server runs; a failing run is logged and retried next time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from poolmail.server.pipeline import Services

log = logging.getLogger("poolmail.background")


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    interval: Callable[[Services], float]
    run: Callable[[Services], None]


async def run_forever(job: Job, services: Services) -> None:
    while True:
        await asyncio.sleep(job.interval(services))
        try:
            await run_in_threadpool(job.run, services)
        except Exception:
            log.exception("background job %s failed", job.name)
