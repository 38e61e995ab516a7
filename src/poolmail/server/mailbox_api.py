"""poolmail's mailbox api endpoints (filled in by the SES issue)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from poolmail.server.background import Job

ROUTES: list[BaseRoute] = []
JOBS: list[Job] = []
