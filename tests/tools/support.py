"""Running `poolmail integrate` / `poolmail doctor` through their real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
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


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without any AWS_* variable of the developer's (a real
    profile or key must not leak into a test), no config or credentials file, plus these."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        # Without credentials botocore would ask the EC2 metadata service, for a second.
        AWS_EC2_METADATA_DISABLED="true",
        COLUMNS="200",
    )
    env.update(variables)
    return env


def run_poolmail(*args: str, env: Mapping[str, str]) -> ToolRun:
    done = subprocess.run(
        [sys.executable, "-m", "poolmail", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
        check=False,
    )
    return ToolRun(done.returncode, done.stdout, done.stderr)


def poolmail(server: ServerProcess, *args: str, access_key: str = "AKIDPOOLMAILTEST") -> ToolRun:
    env = clean_environment(
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=server.url,
    )
    return run_poolmail(*args, env=env)


def steps(run: ToolRun) -> dict[str, str]:
    return {step["check"]: step["severity"] for step in run.document["steps"]}
