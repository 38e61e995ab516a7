"""poolmail's account admin endpoints (filled in by the SES issue)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from poolmail.server.background import Job

ROUTES: list[BaseRoute] = []
JOBS: list[Job] = []
