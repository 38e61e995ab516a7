"""The server with `--functions` and `--lambda-endpoint-url`, on both stores: invocations
recorded and listed (`/_poolmail/functions/invocations`), a function's logs, reset, and no
worker outliving the server."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.support.functions import FunctionFailure, LambdaDouble, write_functions
from tests.support.programs import require_program
from tests.support.server import ServerProcess, serving

FUNCTIONS = {
    "hello": (
        "python3.12",
        "app.handler",
        {
            "app.py": "def handler(event, context):\n    print('hello', event['who'])\n"
            "    return {'greeting': 'hello ' + event['who']}\n"
        },
    ),
    "broken": (
        "python3.12",
        "app.handler",
        {"app.py": "def handler(event, context):\n    raise RuntimeError('no way')\n"},
    ),
    "calls-back": (
        "python3.12",
        "app.handler",
        {
            "app.py": "import json, os, urllib.request\n\n"
            "def handler(event, context):\n"
            "    url = os.environ['AWS_ENDPOINT_URL_SES'] + '/_poolmail/health'\n"
            "    with urllib.request.urlopen(url, timeout=5) as answer:\n"
            "        health = json.load(answer)\n"
            "    return {'status': health['status'], 'key': os.environ['AWS_ACCESS_KEY_ID']}\n"
        },
    ),
    "node-hello": (
        "nodejs20.x",
        "index.handler",
        {"index.mjs": "export const handler = async (e) => { console.log('hi'); return e; };\n"},
    ),
}


def _remote(event: Any) -> Any:
    if event.get("fail"):
        raise FunctionFailure("Remote", "remote failure")
    return {"remote": True}


@pytest.fixture(scope="module")
def double() -> Iterator[LambdaDouble]:
    with LambdaDouble({"remote": _remote}) as running:
        yield running


@pytest.fixture(scope="module")
def functions_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_functions(tmp_path_factory.mktemp("functions"), FUNCTIONS)


@pytest.fixture(scope="module", params=BACKENDS)
def runner_server(
    request: pytest.FixtureRequest,
    functions_file: Path,
    double: LambdaDouble,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    options = ["--functions", str(functions_file), "--lambda-endpoint-url", double.url]
    data_dir = str(tmp_path_factory.mktemp("data"))
    with serving(request.param, options, data_dir=data_dir) as running:
        yield running


@pytest.fixture
def server(runner_server: ServerProcess) -> ServerProcess:
    runner_server.reset()
    return runner_server


def invoke(server: ServerProcess, name: str, event: Any, **query: str) -> Any:
    answer = httpx.post(
        f"{server.url}/_poolmail/functions/{name}/invoke", json=event, params=query, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def invocations(server: ServerProcess, **query: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/functions/invocations", params=query)
    assert answer.status_code == 200, answer.text
    result: list[dict[str, Any]] = answer.json()["invocations"]
    return result


def test_invocations_are_recorded_newest_first(server: ServerProcess) -> None:
    assert invoke(server, "hello", {"who": "ann"}, source="PreSignUp_SignUp", owner="pool-a") == {
        "result": {"greeting": "hello ann"}
    }
    assert invoke(
        server, "broken", {}, source="PostConfirmation_ConfirmSignUp", owner="pool-b"
    ) == {"error": {"kind": "function", "type": "RuntimeError", "message": "no way"}}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:remote"
    assert invoke(server, arn, {}, owner="pool-a") == {"result": {"remote": True}}
    assert invoke(server, arn, {"fail": 1}, owner="pool-a")["error"] == {
        "kind": "function",
        "type": "Remote",
        "message": "remote failure",
    }
    missing = "arn:aws:lambda:us-east-1:123456789012:function:missing"
    assert invoke(server, missing, {})["error"] == {
        "kind": "invoke",
        "type": "ResourceNotFoundException",
        "message": f"Function not found: {missing}",
    }
    listed = invocations(server)
    assert [i["function"] for i in listed] == ["missing", "remote", "remote", "broken", "hello"]
    first = listed[-1]
    assert first["runner"] == "embedded"
    assert (first["source"], first["owner"]) == ("PreSignUp_SignUp", "pool-a")
    assert first["request"] == {"who": "ann"}
    assert first["response"] == {"greeting": "hello ann"}
    assert first["error"] is None
    assert first["durationMs"] > 0
    assert "hello ann" in first["log"] and first["log"].startswith("START RequestId: ")
    assert listed[-2]["error"] == {"errorType": "RuntimeError", "errorMessage": "no way"}
    assert listed[-2]["response"] is None
    assert {i["runner"] for i in listed[:3]} == {"endpoint"}
    assert [i["function"] for i in invocations(server, owner="pool-a", function="remote")] == [
        "remote",
        "remote",
    ]
    assert len(invocations(server, source="PostConfirmation_ConfirmSignUp")) == 1
    assert len(invocations(server, limit="2")) == 2
    one = httpx.get(f"{server.url}/_poolmail/functions/invocations/{first['id']}").json()
    assert one == first
    bad = httpx.get(f"{server.url}/_poolmail/functions/invocations", params={"limit": "0"})
    assert bad.status_code == 400
    assert httpx.get(f"{server.url}/_poolmail/functions/invocations/nope").status_code == 404


def test_a_function_reaches_poolmail_in_its_own_account(server: ServerProcess) -> None:
    arn = "arn:aws:lambda:eu-west-1:444455556666:function:calls-back"
    answer = invoke(server, arn, {})
    if "AWS_ACCESS_KEY_ID" in os.environ:  # the server's own credentials are passed on
        assert answer["result"]["status"] == "ok"
        return
    assert answer == {"result": {"status": "ok", "key": "444455556666"}}


def test_logs_of_a_function(server: ServerProcess) -> None:
    invoke(server, "hello", {"who": "a"})
    invoke(server, "hello", {"who": "b"})
    logs = httpx.get(f"{server.url}/_poolmail/functions/hello/logs").json()
    assert logs["function"] == "hello"
    assert len(logs["logs"]) == 2
    assert "hello b" in logs["logs"][0]["log"]
    text = logs["text"]
    assert text.index("hello a") < text.index("hello b")
    assert text.count("REPORT RequestId: ") == 2
    assert httpx.get(f"{server.url}/_poolmail/functions/unknown/logs").status_code == 404


def test_node_function_through_the_server(server: ServerProcess) -> None:
    require_program("node")
    assert invoke(server, "node-hello", {"x": 1}) == {"result": {"x": 1}}
    log = httpx.get(f"{server.url}/_poolmail/functions/node-hello/logs").json()["text"]
    assert "\tINFO\thi" in log


def test_reset_empties_the_records(server: ServerProcess) -> None:
    invoke(server, "hello", {"who": "x"})
    assert len(invocations(server)) == 1
    server.reset()
    assert invocations(server) == []


def test_configured_functions_are_listed(server: ServerProcess, double: LambdaDouble) -> None:
    listing = httpx.get(f"{server.url}/_poolmail/functions").json()
    assert listing["lambdaEndpoint"] == double.url
    names = [f["name"] for f in listing["functions"]]
    assert names == ["hello", "broken", "calls-back", "node-hello"]
    assert listing["functions"][0]["runtime"] == "python3.12"
    assert listing["functions"][0]["timeout"] == 3.0


def _workers(server_pid: int) -> set[int]:
    """Processes whose command line runs poolmail's bootstrap with this server as parent."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"functions/bootstrap/" in part for part in command) and command[-2:-1] == [
            str(server_pid).encode()
        ]:
            found.add(int(entry.name))
    return found


def _gone(pids: set[int], within: float) -> bool:
    until = time.monotonic() + within
    while time.monotonic() < until:
        alive = set()
        for pid in pids:
            try:
                os.kill(pid, 0)
                status = Path(f"/proc/{pid}/stat").read_text().split()[2]
            except (ProcessLookupError, FileNotFoundError):
                continue
            if status != "Z":
                alive.add(pid)
        if not alive:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_workers_stop_with_the_server(functions_file: Path, stop: signal.Signals) -> None:
    require_program("node")
    running = ServerProcess(["--data-dir", ":memory:", "--functions", str(functions_file)]).start()
    try:
        assert process_id(running)
        invoke(running, "hello", {"who": "x"})
        invoke(running, "node-hello", {})
        workers = _workers(process_id(running))
        assert len(workers) == 2
    finally:
        running.stop(stop)
    # SIGTERM: the server stops them; SIGKILL: they notice their parent is gone.
    assert _gone(workers, within=3.0)


def process_id(server: ServerProcess) -> int:
    assert server.process is not None
    return server.process.pid


def test_console_page_lists_functions_and_invocations(server: ServerProcess) -> None:
    from tests.console.helpers import page_problems

    invoke(server, "hello", {"who": "<b>zoe</b>"}, source="PreSignUp_SignUp", owner="pool-z")
    invoke(server, "broken", {}, owner="pool-y")
    answer = httpx.get(f"{server.url}/console/functions")
    assert answer.status_code == 200
    html = answer.text
    assert page_problems(server, html) == []
    assert 'href="/console/functions?' in html and 'aria-current="page"' in html
    assert "<code>app.handler</code>" in html
    assert "&lt;b&gt;zoe&lt;/b&gt;" in html and "<b>zoe</b>" not in html
    assert "START RequestId: " in html
    assert '<strong class="error">RuntimeError</strong>: no way' in html
    only = httpx.get(f"{server.url}/console/functions", params={"owner": "pool-z"}).text
    assert "hello &lt;b&gt;zoe&lt;/b&gt;" in only
    assert "RuntimeError" not in only and "PreSignUp_SignUp" in only
