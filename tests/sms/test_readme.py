"""The README's SMS outbox example runs as written against a live server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.server import ServerProcess

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_sms_example_confirms_the_user(live: ServerProcess) -> None:
    section = README.read_text().split("## The SMS outbox", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    code = found.group(1).replace("http://127.0.0.1:4747", live.url)
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("Your verification code is ")
    cognito = live.client("cognito-idp")
    pool_id = cognito.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="jane")
    assert user["UserStatus"] == "CONFIRMED"
