"""npm packages that tests run in Node, installed into a tests folder from its
package-lock.json, once, even where several pytest-xdist workers ask at the same moment.

`npm ci` deletes node_modules before installing: two workers running it at once, or one
running it while another's test runs Node from that tree, break each other. So each
directory's install happens under an exclusive file lock, and only when a pin of its
package.json is missing or differs; a tree complete once stays untouched for the session.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.locks import exclusive_lock
from tests.support.programs import require_program


def pinned_node_modules(directory: Path, *, timeout: float = 540) -> Path:
    """`directory`/node_modules holding every pin of `directory`/package.json (installed
    with `npm ci` when one is missing or differs); skips or fails as require_program does
    where node or npm is missing."""
    require_program("node")
    require_program("npm")
    installed = directory / "node_modules"
    with exclusive_lock(f"npm ci in {directory.resolve()}"):
        if not pins_installed(directory):
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=directory,
                check=True,
                capture_output=True,
                timeout=timeout,
            )
    return installed


def pins_installed(directory: Path) -> bool:
    """Whether node_modules holds the exact version package.json pins for each package."""
    manifest = json.loads((directory / "package.json").read_text())
    pins: dict[str, str] = {
        **manifest.get("dependencies", {}),
        **manifest.get("devDependencies", {}),
    }
    for name, pinned in pins.items():
        installed = directory / "node_modules" / name / "package.json"
        if not installed.exists() or json.loads(installed.read_text())["version"] != pinned:
            return False
    return True
