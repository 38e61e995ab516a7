"""The embedded runner through `functions.invoke`, in this process: both runtimes' handler
contracts, errors and timeouts as Lambda reports them, logs, code changes, concurrency."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from poolmail import functions
from poolmail.clock import SystemClock
from poolmail.config import Settings
from poolmail.functions import Caller, FunctionError, InvokeError, InvokeTimeout
from poolmail.functions import records as invocation_records
from poolmail.functions.runner import MAX_WORKERS
from poolmail.store import Database, open_database
from tests.support.functions import write_functions
from tests.support.programs import require_program

CALLER = Caller(account="210987654321", region="eu-west-2", source="Test_Source", owner="pool-1")

PYTHON = {
    "py-echo": (
        "python3.12",
        "app.handler",
        {
            "app.py": """
import os
print("loading")

def handler(event, context):
    print("event", event["n"])
    return {
        "n": event["n"] + 1,
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        },
        "env": {k: os.environ.get(k) for k in (
            "STAGE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_ACCESS_KEY_ID",
            "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SES", "POOLMAIL_SECRET",
            "AWS_LAMBDA_LOG_STREAM_NAME")},
    }
""",
        },
    ),
    "py-nested": ("python3.11", "pkg/mod.run", {"pkg/mod.py": "def run(e, c):\n    return [e]\n"}),
    "py-raise": (
        "python3.12",
        "app.handler",
        {
            "app.py": "class EmailTaken(Exception):\n    pass\n\n"
            "def handler(event, context):\n    raise EmailTaken('Email is already taken.')\n"
        },
    ),
    "py-none": (
        "python3.12",
        "app.handler",
        {"app.py": "def handler(event, context):\n    pass\n"},
    ),
    "py-async": (
        "python3.12",
        "app.handler",
        {"app.py": "async def handler(event, context):\n    return event\n"},
    ),
    "py-missing": ("python3.12", "nothere.handler", {"app.py": ""}),
    "py-no-handler": ("python3.12", "app.handler", {"app.py": "x = 1\n"}),
    "py-syntax": ("python3.12", "app.handler", {"app.py": "def handler(:\n"}),
    "py-slow": (
        "python3.12",
        "app.handler",
        {
            "app.py": "import time\nstarts = 0\n\ndef handler(event, context):\n"
            "    global starts\n    starts += 1\n    time.sleep(event.get('sleep', 0))\n"
            "    return {'starts': starts}\n"
        },
    ),
    "py-exit": (
        "python3.12",
        "app.handler",
        {"app.py": "import os\n\ndef handler(e, c):\n    os._exit(3)\n"},
    ),
    "py-chatty": (
        "python3.12",
        "app.handler",
        {"app.py": "def handler(e, c):\n    print('x' * 1000 * e['kb'])\n    return 'done'\n"},
    ),
    "py-change": ("python3.12", "app.handler", {"app.py": "def handler(e, c):\n    return 1\n"}),
}

NODE = {
    "node-async": (
        "nodejs20.x",
        "index.handler",
        {
            "index.js": """
exports.handler = async (event, context) => {
  console.log("event", event.n);
  return {
    n: event.n + 1,
    context: {
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      remaining: context.getRemainingTimeInMillis(),
    },
    env: { STAGE: process.env.STAGE, AWS_REGION: process.env.AWS_REGION },
  };
};
""",
        },
    ),
    "node-callback": (
        "nodejs18.x",
        "index.handler",
        {
            "index.js": "exports.handler = function (event, context, callback) {\n"
            "  setTimeout(() => callback(null, { called: event.n }), 5);\n};\n"
        },
    ),
    "node-mjs": (
        "nodejs22.x",
        "app.handler",
        {"app.mjs": "export const handler = async (event) => ({ esm: true, event });\n"},
    ),
    "node-type-module": (
        "nodejs20.x",
        "src/app.handler",
        {
            "package.json": '{"type": "module"}',
            "src/app.js": "export async function handler() { return 'module'; }\n",
        },
    ),
    "node-throw": (
        "nodejs20.x",
        "index.handler",
        {
            "index.js": "class Taken extends Error {\n"
            "  constructor(m) { super(m); this.name = 'EmailTaken'; }\n}\n"
            "exports.handler = async () => { throw new Taken('Email is already taken'); };\n"
        },
    ),
    "node-callback-error": (
        "nodejs20.x",
        "index.handler",
        {"index.js": "exports.handler = (e, c, cb) => cb(new TypeError('bad input'));\n"},
    ),
    "node-throw-object": (
        "nodejs20.x",
        "index.handler",
        {"index.js": "exports.handler = async () => { throw { code: 1 }; };\n"},
    ),
    "node-sync-return": (
        "nodejs20.x",
        "index.handler",
        {"index.js": "exports.handler = (event) => { return event; };\n"},
    ),
    "node-not-exported": ("nodejs20.x", "index.other", {"index.js": "exports.handler = 1;\n"}),
    "node-loop": (
        "nodejs20.x",
        "index.handler",
        {"index.js": "exports.handler = async () => { for (;;) {} };\n"},
    ),
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    directory = tmp_path_factory.mktemp("functions")
    path = write_functions(
        directory,
        {**PYTHON, **NODE},
        timeout={"py-slow": 1, "node-loop": 0.5},
        environment={"py-echo": {"STAGE": "local"}, "node-async": {"STAGE": "node"}},
        memory={"py-echo": 256},
    )
    yield Settings(functions=str(path), aws_endpoint_url="http://127.0.0.1:9")
    functions.shutdown()


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_database(data_dir=":memory:")
    yield database
    database.close()


def call(settings: Settings, db: Database, arn: str, event: Any = None, **kw: Any) -> Any:
    return functions.invoke(
        settings, db, SystemClock(), arn, {} if event is None else event, CALLER, **kw
    )


def last_record(db: Database) -> invocation_records.Invocation:
    with db.transaction(readonly=True) as tx:
        return invocation_records.find(tx, invocation_records.InvocationFilter(limit=1))[0]


def test_python_handler_gets_event_context_and_environment(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOLMAIL_SECRET", "not for functions")
    arn = "arn:aws:lambda:eu-west-2:210987654321:function:py-echo"
    answer = call(settings, db, arn, {"n": 41})
    assert answer["n"] == 42
    context = answer["context"]
    assert context["function_name"] == "py-echo"
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == arn
    assert context["memory_limit_in_mb"] == "256"
    assert context["log_group_name"] == "/aws/lambda/py-echo"
    assert "[$LATEST]" in context["log_stream_name"]
    assert 2000 < context["remaining"] <= 3000
    assert context["aws_request_id"] == last_record(db).id
    env = answer["env"]
    assert env["STAGE"] == "local"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "py-echo"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-2"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "app.handler"
    assert env["LAMBDA_TASK_ROOT"].endswith("/py-echo")
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == context["log_stream_name"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert env["AWS_ENDPOINT_URL_SES"].startswith("http://")
    assert env["POOLMAIL_SECRET"] is None
    record = last_record(db)
    assert (record.function_name, record.runner, record.arn) == ("py-echo", "embedded", arn)
    assert (record.source, record.owner, record.account) == (
        "Test_Source",
        "pool-1",
        CALLER.account,
    )
    assert record.request == {"n": 41}
    assert record.response == answer
    assert record.error_type is None


def test_python_logs_read_like_lambdas(settings: Settings, db: Database) -> None:
    call(settings, db, "py-echo", {"n": 1})
    record = last_record(db)
    lines = record.log.splitlines()
    start = lines.index(f"START RequestId: {record.id} Version: $LATEST")
    assert lines[start + 1] == "event 1"
    assert lines[start + 2] == f"END RequestId: {record.id}"
    report = lines[start + 3].split("\t")
    assert report[0] == f"REPORT RequestId: {record.id}"
    assert report[1].startswith("Duration: ") and report[1].endswith(" ms")
    assert report[3] == "Memory Size: 256 MB"


def test_plain_names_and_qualified_arns_reach_the_same_function(
    settings: Settings, db: Database
) -> None:
    assert call(settings, db, "py-nested", {"a": 1}) == [{"a": 1}]
    assert last_record(db).arn == "py-nested"
    assert call(
        settings, db, "arn:aws:lambda:us-west-2:111122223333:function:py-nested:prod", 2
    ) == [2]


def test_python_exception_is_a_function_error(settings: Settings, db: Database) -> None:
    with pytest.raises(FunctionError) as raised:
        call(settings, db, "py-raise")
    assert (raised.value.error_type, raised.value.message) == (
        "EmailTaken",
        "Email is already taken.",
    )
    record = last_record(db)
    assert (record.error_type, record.error_message) == ("EmailTaken", "Email is already taken.")
    assert "[ERROR] EmailTaken: Email is already taken." in record.log
    assert "Traceback (most recent call last):" in record.log


def test_python_returning_none_and_async_handlers(settings: Settings, db: Database) -> None:
    assert call(settings, db, "py-none") is None
    # Lambda's Python runtime calls the handler and cannot serialise a coroutine.
    with pytest.raises(FunctionError) as raised:
        call(settings, db, "py-async")
    assert raised.value.error_type == "Runtime.MarshalError"
    assert raised.value.message.startswith("Unable to marshal response: Object of type coroutine")


@pytest.mark.parametrize(
    ("name", "error_type", "message"),
    [
        (
            "py-missing",
            "Runtime.ImportModuleError",
            "Unable to import module 'nothere': No module named 'nothere'",
        ),
        ("py-no-handler", "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'app'"),
        ("py-syntax", "Runtime.UserCodeSyntaxError", "Syntax error in module 'app': "),
    ],
)
def test_python_init_errors(
    settings: Settings, db: Database, name: str, error_type: str, message: str
) -> None:
    with pytest.raises(FunctionError) as raised:
        call(settings, db, name)
    assert raised.value.error_type == error_type
    assert raised.value.message.startswith(message)


def test_timeout_kills_and_restarts_the_worker(settings: Settings, db: Database) -> None:
    assert call(settings, db, "py-slow", {"sleep": 0}) == {"starts": 1}
    with pytest.raises(FunctionError) as raised:
        call(settings, db, "py-slow", {"sleep": 30})
    error = raised.value
    assert error.error_type == "Sandbox.Timedout"
    stamp, request_id, *rest = error.message.split(" ")
    assert stamp.endswith("Z") and len(stamp) == len("2024-09-17T20:31:07.019Z")
    assert request_id == last_record(db).id
    assert " ".join(rest[:-2]) == "Task timed out after"
    assert 1.0 <= float(rest[-2]) < 1.5 and rest[-1] == "seconds"
    assert "Status: timeout" in last_record(db).log
    # A fresh worker: the module's state starts again.
    assert call(settings, db, "py-slow", {"sleep": 0}) == {"starts": 1}


def test_past_the_callers_deadline_is_an_invoke_timeout(settings: Settings, db: Database) -> None:
    started = time.monotonic()
    with pytest.raises(InvokeTimeout):
        call(settings, db, "py-slow", {"sleep": 0.8}, deadline=0.3)
    # Back before the function's own end (0.8 s): the caller did not wait for it.
    assert time.monotonic() - started < 0.8
    assert last_record(db).error_type == "InvokeTimeout"


def test_a_worker_that_dies_is_restarted(settings: Settings, db: Database) -> None:
    with pytest.raises(FunctionError) as raised:
        call(settings, db, "py-exit")
    assert raised.value.error_type == "Runtime.ExitError"
    assert raised.value.message.endswith("Runtime exited with error: exit status 3")
    with pytest.raises(FunctionError):
        call(settings, db, "py-exit")


def test_output_beyond_a_pipe_buffer_is_captured(settings: Settings, db: Database) -> None:
    assert call(settings, db, "py-chatty", {"kb": 300}) == "done"
    assert "x" * 300_000 in last_record(db).log


def test_code_changes_take_effect_without_restarting(settings: Settings, db: Database) -> None:
    assert call(settings, db, "py-change") == 1
    source = Path(settings.functions or "").parent / "py-change" / "app.py"
    source.write_text("def handler(e, c):\n    return 2\n")
    assert call(settings, db, "py-change") == 2
    (source.parent / "helper.py").write_text("VALUE = 3\n")
    source.write_text("from helper import VALUE\n\ndef handler(e, c):\n    return VALUE\n")
    assert call(settings, db, "py-change") == 3


def test_concurrent_calls_run_in_parallel_workers(settings: Settings, db: Database) -> None:
    call(settings, db, "py-slow", {"sleep": 0})
    answers: list[Any] = []

    def together(count: int) -> float:
        threads = [
            threading.Thread(
                target=lambda: answers.append(call(settings, db, "py-slow", {"sleep": 0.6}))
            )
            for _ in range(count)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    # Every worker started (untimed: cold starts are slow on a loaded machine), then timed
    # warm: one after another they would take 2.4 s.
    together(MAX_WORKERS)
    assert together(MAX_WORKERS) < 1.8
    assert len(answers) == 2 * MAX_WORKERS
    # One more than the pool holds waits for a free worker.
    assert together(MAX_WORKERS + 1) >= 1.2
    assert len(answers) == 3 * MAX_WORKERS + 1


def test_a_warm_invocation_costs_about_a_millisecond(settings: Settings, db: Database) -> None:
    call(settings, db, "py-nested", 0)
    timings = []
    for n in range(30):
        started = time.perf_counter()
        call(settings, db, "py-nested", n)
        timings.append(time.perf_counter() - started)
    # Measured ~0.4 ms (Python) and ~0.8 ms (Node) with the record written; a loaded CI
    # machine gets room.
    assert statistics.median(timings) < 0.05


def test_unknown_function_without_endpoint(db: Database) -> None:
    with pytest.raises(InvokeError) as raised:
        call(Settings(), db, "arn:aws:lambda:us-east-1:123456789012:function:nobody")
    assert raised.value.code == "ResourceNotFoundException"
    assert raised.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nobody"
    )
    assert last_record(db).runner == "endpoint"


@pytest.fixture
def node() -> None:
    require_program("node")


@pytest.mark.usefixtures("node")
def test_node_async_handler_context_and_environment(settings: Settings, db: Database) -> None:
    arn = "arn:aws:lambda:ap-south-1:210987654321:function:node-async"
    answer = call(settings, db, arn, {"n": 1})
    assert answer["n"] == 2
    context = answer["context"]
    record = last_record(db)
    assert context["awsRequestId"] == record.id
    assert context["functionName"] == "node-async"
    assert context["functionVersion"] == "$LATEST"
    assert context["invokedFunctionArn"] == arn
    assert context["memoryLimitInMB"] == "128"
    assert context["logGroupName"] == "/aws/lambda/node-async"
    assert 2000 < context["remaining"] <= 3000
    assert answer["env"] == {"STAGE": "node", "AWS_REGION": "ap-south-1"}
    # console.log as Lambda's Node runtime writes it: time, request id, level, text.
    line = next(line for line in record.log.splitlines() if line.endswith("event 1"))
    assert line.split("\t")[1:] == [record.id, "INFO", "event 1"]


@pytest.mark.usefixtures("node")
@pytest.mark.parametrize(
    ("name", "event", "expected"),
    [
        ("node-callback", {"n": 7}, {"called": 7}),
        ("node-mjs", {"x": 1}, {"esm": True, "event": {"x": 1}}),
        ("node-type-module", {}, "module"),
        # A handler neither async nor calling back: Lambda answers null.
        ("node-sync-return", {"x": 1}, None),
    ],
)
def test_node_handler_styles(
    settings: Settings, db: Database, name: str, event: Any, expected: Any
) -> None:
    assert call(settings, db, name, event) == expected


@pytest.mark.usefixtures("node")
@pytest.mark.parametrize(
    ("name", "error_type", "message"),
    [
        ("node-throw", "EmailTaken", "Email is already taken"),
        ("node-callback-error", "TypeError", "bad input"),
        ("node-throw-object", "object", "[object Object]"),
        (
            "node-not-exported",
            "Runtime.HandlerNotFound",
            "index.other is undefined or not exported",
        ),
    ],
)
def test_node_errors(
    settings: Settings, db: Database, name: str, error_type: str, message: str
) -> None:
    with pytest.raises(FunctionError) as raised:
        call(settings, db, name)
    assert (raised.value.error_type, raised.value.message) == (error_type, message)
    if name == "node-throw":
        assert "\tERROR\tInvoke Error \t" in last_record(db).log


@pytest.mark.usefixtures("node")
def test_node_timeout_kills_a_busy_loop(settings: Settings, db: Database) -> None:
    with pytest.raises(FunctionError) as raised:
        call(settings, db, "node-loop")
    assert raised.value.error_type == "Sandbox.Timedout"
    assert "Task timed out after 0.5" in raised.value.message
    assert call(settings, db, "node-mjs", 1) == {"esm": True, "event": 1}
