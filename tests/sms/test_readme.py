"""The README's SMS outbox example runs as written against a live server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from poolmail.testing import Poolmail

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_sms_example_confirms_the_user(poolmail: Poolmail) -> None:
    section = README.read_text().split("## The SMS outbox", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    code = found.group(1).replace("http://127.0.0.1:4747", poolmail.url)
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("Your verification code is ")
    cognito = poolmail.client("cognito-idp")
    pool_id = cognito.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="jane")
    assert user["UserStatus"] == "CONFIRMED"
    # The text the example printed is the one in the outbox.
    assert ran.stdout.strip() == poolmail.latest_sms("+15555550100")["text"].strip()
