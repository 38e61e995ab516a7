"""The `--functions` file: checked at start-up, a mistake stopping `poolmail serve` with exit
code 2 and a message naming the key; and how ARNs name functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from poolmail.cli import main
from poolmail.functions.config import (
    DEFAULT_TIMEOUT,
    FunctionName,
    FunctionsConfigError,
    load_functions,
    parse_function_name,
)


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "code").mkdir(exist_ok=True)
    path = tmp_path / "functions.toml"
    path.write_text(text)
    return path


GOOD = '[functions.f]\nruntime = "python3.12"\nhandler = "app.handler"\ncode = "code"\n'


def test_a_good_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD + 'environment = { STAGE = "local" }\ntimeout = 5\nmemory = 256\n'
        '[functions.g]\nruntime = "nodejs22.x"\nhandler = "index.handler"\ncode = "code"\n',
    )
    specs = load_functions(path)
    assert specs["f"].code == (tmp_path / "code").resolve()
    assert (specs["f"].timeout, specs["f"].memory, specs["f"].environment) == (
        5.0,
        256,
        {"STAGE": "local"},
    )
    assert specs["g"].timeout == DEFAULT_TIMEOUT == 3.0
    assert specs["g"].language == "node"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[functions.f\n", "not valid TOML"),
        ("[other]\nx = 1\n", "unknown key 'other'"),
        (GOOD.replace('runtime = "python3.12"\n', ""), "functions.f.runtime: required"),
        (GOOD.replace("python3.12", "java21"), "functions.f.runtime: 'java21' is not python3.x"),
        (GOOD.replace("app.handler", "handler"), "functions.f.handler: 'handler' is not module"),
        (GOOD.replace('code = "code"', 'code = "missing"'), "functions.f.code: "),
        (GOOD + "timeout = 0\n", "functions.f.timeout: between 0 and 900 seconds"),
        (GOOD + 'timeout = "3"\n', "functions.f.timeout: a number of seconds"),
        (GOOD + "memory = 64\n", "functions.f.memory: a whole number of MB, 128 to 10240"),
        (GOOD + "environment = { A = 1 }\n", "functions.f.environment: a table of strings"),
        (GOOD + "colour = 1\n", "functions.f.colour: unknown key"),
        (GOOD.replace("functions.f", 'functions."a b"'), "a function name is 1 to 64"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(FunctionsConfigError) as raised:
        load_functions(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_serve_stops_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD.replace("python3.12", "ruby3.3"))
    assert main(["serve", "--data-dir", ":memory:", "--functions", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"poolmail: --functions {path}: functions.f.runtime: 'ruby3.3'")
    assert main(["serve", "--data-dir", ":memory:", "--functions", str(tmp_path / "no")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert main(["serve", "--data-dir", ":memory:", "--lambda-endpoint-url", "x"]) == 2
    assert "--lambda-endpoint-url must be an http://" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            "arn:aws:lambda:eu-west-1:111122223333:function:pre-signup",
            FunctionName("pre-signup", "eu-west-1", "111122223333"),
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:f_1:live",
            FunctionName("f_1", "us-east-1", "111122223333", "live"),
        ),
        ("pre-signup", FunctionName("pre-signup")),
        ("pre-signup:$LATEST", FunctionName("pre-signup", qualifier="$LATEST")),
        ("arn:aws:sns:us-east-1:111122223333:topic", None),
        ("not a name", None),
    ],
)
def test_arns_name_functions(arn: str, expected: FunctionName | None) -> None:
    assert parse_function_name(arn) == expected


def test_serve_help_documents_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--functions" in text and "env POOLMAIL_FUNCTIONS" in text
    assert "--lambda-endpoint-url" in text and "env POOLMAIL_LAMBDA_ENDPOINT_URL" in text
