"""The `--functions` TOML file: the functions the embedded runner runs, and how a Lambda ARN
names one of them."""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Lambda's default timeout (configuration-function-common.html#configuration-timeout-console);
# Cognito's own five-second limit is the caller's deadline, not the function's.
DEFAULT_TIMEOUT = 3.0
MAX_TIMEOUT = 900.0
DEFAULT_MEMORY = 128
PYTHON_RUNTIME = re.compile(r"python3\.\d+")
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x")
# Lambda's function-name rule (API_CreateFunction: FunctionName).
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]*):(?P<account>\d*):function:"
    r"(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>[a-zA-Z0-9$_-]+))?"
)
_KEYS = {"runtime", "handler", "code", "environment", "timeout", "memory"}


class FunctionsConfigError(ValueError):
    """The file cannot be used; the message names the file and the key at fault."""


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    runtime: str
    handler: str
    code: Path
    environment: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY

    @property
    def language(self) -> str:
        return "python" if self.runtime.startswith("python") else "node"


@dataclass(frozen=True, slots=True)
class FunctionName:
    """What an ARN (or plain name) says: the function, and its region and account when
    the ARN gives them."""

    name: str
    region: str | None = None
    account: str | None = None
    qualifier: str | None = None


def parse_function_name(arn: str) -> FunctionName | None:
    """`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or a plain name;
    None for anything else."""
    match = _ARN.fullmatch(arn)
    if match:
        return FunctionName(
            match["name"],
            match["region"] or None,
            match["account"] or None,
            match["qualifier"],
        )
    name, _, qualifier = arn.partition(":")
    if _NAME.fullmatch(name) and (not qualifier or re.fullmatch(r"[a-zA-Z0-9$_-]+", qualifier)):
        return FunctionName(name, qualifier=qualifier or None)
    return None


def load_functions(path: str | Path) -> dict[str, FunctionSpec]:
    """Read and check the file; FunctionsConfigError names what is wrong."""
    source = Path(path)
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise FunctionsConfigError(f"{source}: cannot be read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise FunctionsConfigError(f"{source}: not valid TOML: {error}") from None
    unknown = set(document) - {"functions"}
    if unknown:
        raise FunctionsConfigError(
            f"{source}: unknown key {sorted(unknown)[0]!r} (only [functions.<name>] tables)"
        )
    tables = document.get("functions", {})
    if not isinstance(tables, dict):
        raise FunctionsConfigError(f"{source}: functions must be a table of [functions.<name>]")
    base = source.resolve().parent
    return {name: _spec(source, base, name, table) for name, table in tables.items()}


def _spec(source: Path, base: Path, name: str, table: Any) -> FunctionSpec:
    where = f"{source}: functions.{name}"
    if not _NAME.fullmatch(name):
        raise FunctionsConfigError(
            f"{where}: a function name is 1 to 64 letters, digits, hyphens or underscores"
        )
    if not isinstance(table, dict):
        raise FunctionsConfigError(f"{where} must be a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise FunctionsConfigError(f"{where}.{sorted(unknown)[0]}: unknown key")
    for key in ("runtime", "handler", "code"):
        if not isinstance(table.get(key), str) or not table[key]:
            raise FunctionsConfigError(f"{where}.{key}: required, a string")
    runtime = table["runtime"]
    if not (PYTHON_RUNTIME.fullmatch(runtime) or runtime in NODE_RUNTIMES):
        raise FunctionsConfigError(
            f"{where}.runtime: {runtime!r} is not python3.x, nodejs18.x, nodejs20.x or nodejs22.x"
        )
    handler = table["handler"]
    module, dot, function = handler.rpartition(".")
    if not dot or not module or not function:
        raise FunctionsConfigError(f"{where}.handler: {handler!r} is not module.function")
    code = (base / table["code"]).resolve()
    if not code.is_dir():
        raise FunctionsConfigError(f"{where}.code: {code} is not a directory")
    environment = table.get("environment", {})
    if not isinstance(environment, dict) or not all(
        isinstance(value, str) for value in environment.values()
    ):
        raise FunctionsConfigError(f"{where}.environment: a table of strings")
    for key in environment:
        if not re.fullmatch(r"[a-zA-Z]\w*", key):
            raise FunctionsConfigError(f"{where}.environment: {key!r} is not a variable name")
    timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise FunctionsConfigError(f"{where}.timeout: a number of seconds")
    if not 0 < timeout <= MAX_TIMEOUT:
        raise FunctionsConfigError(f"{where}.timeout: between 0 and {MAX_TIMEOUT:g} seconds")
    memory = table.get("memory", DEFAULT_MEMORY)
    if isinstance(memory, bool) or not isinstance(memory, int) or not 128 <= memory <= 10240:
        raise FunctionsConfigError(f"{where}.memory: a whole number of MB, 128 to 10240")
    return FunctionSpec(
        name=name,
        runtime=runtime,
        handler=handler,
        code=code,
        environment=dict(environment),
        timeout=float(timeout),
        memory=memory,
    )


def missing_program(spec: FunctionSpec) -> str | None:
    """The runtime's program when it is not on PATH (python3 falls back to poolmail's own
    interpreter, so only node can be missing)."""
    if spec.language == "node" and shutil.which("node") is None:
        return "node"
    return None
