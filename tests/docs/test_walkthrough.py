"""Runs docs/integrating-ses.md against the server, block by block, as a reader would.

Fences: ```sh blocks must succeed, ```sh fails blocks must fail, ```sh server blocks are
skipped (the test runs the server). A ```text block right after a command block lists
lines its output must contain. Exported variables carry from block to block.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import ServerProcess

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrating-ses.md"
FENCE = re.compile(r"^```(\w*)(?: (\w+))?\n(.*?)^```$", re.MULTILINE | re.DOTALL)
DOC_ENDPOINT = "http://127.0.0.1:4747"


@dataclass
class Block:
    mode: str  # run | fails | server
    code: str
    expected: list[str]
    line: int


def blocks() -> list[Block]:
    text = DOC.read_text()
    found: list[Block] = []
    for match in FENCE.finditer(text):
        language, mode, body = match.group(1), match.group(2) or "run", match.group(3)
        line = text.count("\n", 0, match.start()) + 1
        if language == "sh":
            found.append(Block(mode, body, [], line))
        elif language == "text" and found:
            found[-1].expected += [entry for entry in body.splitlines() if entry.strip()]
    return found


def test_the_walkthrough_runs_as_written(tmp_path: Path, live: ServerProcess) -> None:
    state = tmp_path / "state.sh"
    state.write_text("")
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
        "COLUMNS": "200",
    }
    ran = 0
    for block in blocks():
        if block.mode == "server":
            continue
        code = block.code.replace(DOC_ENDPOINT, live.url)
        strict = "set -euo pipefail" if block.mode == "run" else "set -uo pipefail"
        # The block's own status is its last command's; the state is saved either way.
        script = f"{strict}\nsource {state}\n{code}\nstatus=$?\nexport -p > {state}\nexit $status\n"
        done = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )
        output = done.stdout + done.stderr
        where = f"docs/integrating-ses.md:{block.line}"
        if block.mode == "fails":
            assert done.returncode != 0, f"{where} should fail:\n{output}"
        else:
            assert done.returncode == 0, f"{where} failed:\n{output}"
        for line in block.expected:
            assert line.strip() in output, f"{where}: {line.strip()!r} not in:\n{output}"
        ran += 1
    assert ran >= 15
