"""What a protocol hands back to the server: status, headers, body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class WireResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class KeptResult(dict[str, Any]):
    """An operation's result that its handler keeps and hands back again unchanged (a
    cache of its answers), with the JSON 1.1 body written the first time it was sent:
    answering it again costs no writing. Callers must not change one."""

    __slots__ = ("body",)

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result)
        self.body: bytes | None = None
