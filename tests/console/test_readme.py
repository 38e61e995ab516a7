"""The README's mailbox example runs as written against a live server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.server import ServerProcess

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_codes_example_confirms_the_user(site: ServerProcess) -> None:
    section = README.read_text().split("## The mailbox", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    code = found.group(1).replace("http://127.0.0.1:4747", site.url)
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert "Your verification code" in ran.stdout
    user = site.client("cognito-idp").list_users(UserPoolId=_pool_id(site))["Users"][0]
    assert user["UserStatus"] == "CONFIRMED"


def _pool_id(site: ServerProcess) -> str:
    pools = site.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"]
    return str(pools[0]["Id"])
