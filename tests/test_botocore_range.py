"""Both ends of the botocore range in pyproject.toml, as server and as client.

The suite itself runs on the newest botocore the range admits. Here a second environment
holds the lowest: a server on it must answer new clients, and old clients must be answered
by the server on the newest. botocore 1.44 moved SES v2 ListEmailIdentities and
ListConfigurationSets to new routes, so both directions cross that change.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import venv
from pathlib import Path

import botocore
import pytest

from tests.support.locks import exclusive_lock
from tests.support.server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
LOWEST = "1.43.0"


def lowest_bound_in_pyproject() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index('"botocore>=') + len('"botocore>=')
    return text[start : text.index(",", start)]


@pytest.fixture(scope="session")
def old_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The environment on the lowest botocore, built once per run: its three tests often
    land on three pytest-xdist workers, and each build takes minutes (a pip install)."""
    assert lowest_bound_in_pyproject() == LOWEST
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's directory, above the workers' own
    home = root / "botocore-lowest"
    python = home / "bin" / "python"
    with exclusive_lock(f"botocore-lowest {home}"):
        if (home / "built").exists():
            return python
        venv.create(home, with_pip=True, clear=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"botocore=={LOWEST}",
                f"boto3=={LOWEST}",
                "-e",
                str(ROOT),
            ],
            check=True,
            timeout=600,
        )
        (home / "built").touch()
    return python


def test_the_suite_runs_on_the_newest_end() -> None:
    assert tuple(int(part) for part in botocore.__version__.split(".")[:2]) >= (1, 44)


def test_server_on_the_lowest_botocore_answers_new_clients(
    old_python: Path, tmp_path: Path
) -> None:
    server = ServerProcess(["--data-dir", str(tmp_path)], python=str(old_python)).start()
    try:
        cognito = server.client("cognito-idp")
        pool = cognito.create_user_pool(PoolName="old-server")["UserPool"]
        assert cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Name"] == "old-server"
        sesv2 = server.client("sesv2")
        # The new client POSTs to /v2/email/list-identities, a route the old model lacks.
        assert sesv2.list_email_identities(PageSize=5)["EmailIdentities"] == []
        assert server.client("ses").list_identities()["Identities"] == []
    finally:
        server.stop()


OLD_CLIENT = textwrap.dedent(
    """
    import json, sys
    import boto3, botocore
    from botocore.config import Config
    kwargs = dict(endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(retries={"max_attempts": 1}))
    sesv2 = boto3.client("sesv2", **kwargs)
    route = sesv2.meta.service_model.operation_model("ListEmailIdentities").http
    cognito = boto3.client("cognito-idp", **kwargs)
    pool = cognito.create_user_pool(PoolName="old-client")["UserPool"]
    print(json.dumps({
        "botocore": botocore.__version__,
        "route": [route["method"], route["requestUri"]],
        "identities": sesv2.list_email_identities(PageSize=5)["EmailIdentities"],
        "pools": [p["Id"] for p in cognito.list_user_pools(MaxResults=5)["UserPools"]],
        "pool": pool["Id"],
        "ses": boto3.client("ses", **kwargs).list_identities()["Identities"],
    }))
    """
)


def test_old_clients_are_answered_by_the_newest_server(
    old_python: Path, live: ServerProcess
) -> None:
    result = subprocess.run(
        [str(old_python), "-c", OLD_CLIENT, live.url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["botocore"] == LOWEST
    assert answer["route"] == ["GET", "/v2/email/identities"]
    assert answer["identities"] == []
    assert answer["pools"] == [answer["pool"]]
    assert answer["ses"] == []
