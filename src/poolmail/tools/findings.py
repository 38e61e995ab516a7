"""What the tools report: findings with a severity, the evidence and the exact fix."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

Severity = Literal["ok", "info", "warning", "error"]

_STYLE = {"ok": "green", "info": "cyan", "warning": "yellow", "error": "bold red"}


@dataclass(slots=True)
class Finding:
    check: str
    severity: Severity
    message: str
    evidence: Any = None
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def blocking(findings: list[Finding]) -> bool:
    return any(finding.severity in ("warning", "error") for finding in findings)


def render(console: Console, title: str, findings: list[Finding]) -> None:
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("check", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("finding")
    for finding in findings:
        text = escape(finding.message)
        if finding.fix:
            text += f"\n[bold]fix:[/bold] {escape(finding.fix)}"
        table.add_row(finding.check, f"[{_STYLE[finding.severity]}]{finding.severity}[/]", text)
    console.print(table)


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, default=str)
