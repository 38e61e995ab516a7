"""Where a workload's time goes in poolmail: py-spy's samples, sorted into what they did.

py-spy samples every thread of the server (those idle in a wait are left out); each sample
is charged to the first category, from the innermost frame outwards, that one of its frames
belongs to.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# (category, substrings of a frame "function (file:line)"), innermost match wins.
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("password hashing (scrypt, SRP verifier)", ("hash_password", "verify_password", "srp.py")),
    ("SQLite statements and commits", ("poolmail/store/sqlite.py", "poolmail/store/postgres.py")),
    (
        "JSON/XML out (serialise)",
        ("serialize_result", "serialize_error", "json/encoder", "ElementTree"),
    ),
    ("parse and validate input", ("parse_request", "validate_input", "json/decoder", "_form (")),
    ("MIME building", ("poolmail/ses/sending/mime.py", "email/")),
    ("mailbox listing", ("poolmail/mail/queries.py", "mailbox_api.py")),
    (
        "service logic (cognito/, ses/, mail/)",
        ("poolmail/cognito/", "poolmail/ses/", "poolmail/mail/"),
    ),
    ("request pipeline", ("poolmail/server/",)),
    ("thread hand-off (anyio, queue)", ("anyio/", "queue.py", "threading.py", "concurrent/")),
    ("Starlette routing and middleware", ("starlette/",)),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools")),
    ("event loop", ("asyncio/", "uvloop", "selectors.py")),
]


def py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def summarise(raw: Path, top: int = 8) -> dict[str, Any]:
    """Share of samples per category, and the functions with the most samples of their own."""
    categories: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    if not raw.exists():
        return {"samples": 0, "categories": {}, "functions": {}}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        leaves[_short(frames[-1])] += count
        categories[_category(frames)] += count
    return {
        "samples": total,
        "categories": {name: round(100 * n / total, 1) for name, n in categories.most_common()}
        if total
        else {},
        "functions": {name: round(100 * n / total, 1) for name, n in leaves.most_common(top)}
        if total
        else {},
    }


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, markers in CATEGORIES:
            if any(marker in frame for marker in markers):
                return name
    return "other"


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)"
    name, _, where = frame.partition(" (")
    module = where.rsplit("/", 1)[-1].split(":", 1)[0]
    return f"{name} ({module})" if module else name
