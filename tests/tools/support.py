"""Running `poolmail integrate` / `poolmail doctor` through their real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from tests.support.server import ServerProcess


@dataclass
class ToolRun:
    code: int
    stdout: str
    stderr: str

    @property
    def document(self) -> Any:
        return json.loads(self.stdout)


def poolmail(server: ServerProcess, *args: str, access_key: str = "AKIDPOOLMAILTEST") -> ToolRun:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": server.url,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-m", "poolmail", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return ToolRun(done.returncode, done.stdout, done.stderr)


def steps(run: ToolRun) -> dict[str, str]:
    return {step["check"]: step["severity"] for step in run.document["steps"]}
