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
            await run_in_threadpool(_run_once, job, services)
        except Exception:
            log.exception("background job %s failed", job.name)


def _run_once(job: Job, services: Services) -> None:
    # Replicas sharing a database take turns: whoever holds the job's lock runs it, the
    # others skip this round, so the work is done once per interval, not once per replica.
    with services.db.try_lock(f"poolmail:job:{job.name}") as mine:
        if mine:
            job.run(services)
