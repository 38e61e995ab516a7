"""Programs outside Python that some tests run: Debian's chromium, dnsmasq, nginx and
xmlsec1, and Node.js. Where one is missing, the tests that need it skip, and the session
ends with one block naming them and the command that installs the program
(tests/conftest.py).

CI installs them and lists them in POOLMAIL_REQUIRE_PROGRAMS (space-separated names), which
turns a missing one into a failure: there, a skip would hide a broken set-up.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter

import pytest

# The Debian packages that install each program.
PACKAGES = {
    "chromium": ("chromium",),
    "dnsmasq": ("dnsmasq-base",),
    "nginx": ("nginx",),
    "node": ("nodejs", "npm"),
    "npm": ("npm",),
    "xmlsec1": ("xmlsec1",),
}
# The attribute on a skip exception, and the user property on its report, naming the program.
MISSING_PROGRAM = "missing_program"


def require_program(name: str, path: str | None = None) -> str:
    """The program's path (`path` if given, else found on PATH or in /usr/sbin); skips the
    calling test, or fails it where POOLMAIL_REQUIRE_PROGRAMS names the program."""
    found = _find(name, path)
    if found is not None:
        return found
    where = f" at {path}" if path else ""
    install = install_command(PACKAGES[name])
    hint = " or set POOLMAIL_CHROMIUM to a Chromium binary" if name == "chromium" else ""
    message = f"{name} is missing{where}: install it with `{install}`{hint}"
    if name in os.environ.get("POOLMAIL_REQUIRE_PROGRAMS", "").split():
        pytest.fail(f"{message} (POOLMAIL_REQUIRE_PROGRAMS names it)", pytrace=False)
    skip = pytest.skip.Exception(message)
    setattr(skip, MISSING_PROGRAM, name)  # read back from the report (tests/conftest.py)
    raise skip


def _find(name: str, path: str | None) -> str | None:
    if path is not None:
        return path if os.access(path, os.X_OK) else None
    found = shutil.which(name)
    if found is None and os.access(f"/usr/sbin/{name}", os.X_OK):
        found = f"/usr/sbin/{name}"
    return found


def install_command(packages: tuple[str, ...]) -> str:
    sudo = "" if os.geteuid() == 0 else "sudo "
    return f"{sudo}apt-get install -y {' '.join(packages)}"


class SkipLedger:
    """Which tests skipped for which missing program, gathered from test reports (so it
    also works where pytest-xdist workers run the tests and the controller reports)."""

    def __init__(self) -> None:
        self.tests: dict[str, set[str]] = {}

    def record(self, report: pytest.TestReport) -> None:
        for key, program in report.user_properties:
            if key == MISSING_PROGRAM:
                self.tests.setdefault(str(program), set()).add(report.nodeid)

    def summary(self) -> list[str]:
        """The end-of-session block's lines; empty when nothing skipped for a program."""
        if not self.tests:
            return []
        lines = []
        packages: list[str] = []
        for program, nodeids in sorted(self.tests.items()):
            files = Counter(nodeid.split("::")[0] for nodeid in nodeids)
            tests = "1 test" if len(nodeids) == 1 else f"{len(nodeids)} tests"
            lines.append(f"{program} is missing: {tests} skipped")
            lines.extend(f"  {file} ({count})" for file, count in sorted(files.items()))
            packages.extend(p for p in PACKAGES[program] if p not in packages)
        lines.append(f"Install with: {install_command(tuple(packages))}")
        return lines
