"""SES account (filled in by the SES issue)."""

from __future__ import annotations

from poolmail.operations import Handler

V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {}
