"""The `poolmail` command line: `poolmail serve` (integrate and doctor come later)."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import sys
from collections.abc import Sequence
from types import FrameType

import uvicorn

from poolmail.config import DEFAULT_ACCOUNT_ID, Settings
from poolmail.server.app import create_app
from poolmail.store import POSTGRES_SCHEMES, open_database


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(name, default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="poolmail",
        description="A faithful local stand-in for Amazon Cognito user pools with Amazon SES.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the AWS-compatible server",
        description="Serve Cognito user pools, SES v1 and SES v2 on one port.",
    )
    serve.add_argument(
        "--host",
        default=_env("POOLMAIL_HOST", "127.0.0.1"),
        help="address to listen on (env POOLMAIL_HOST; default 127.0.0.1)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=int(_env("POOLMAIL_PORT", "4747") or 4747),
        help="port to listen on, 0 for any free port (env POOLMAIL_PORT; default 4747)",
    )
    serve.add_argument(
        "--data-dir",
        default=_env("POOLMAIL_DATA_DIR", ".poolmail"),
        help="directory of the SQLite state file, or :memory: for throwaway state "
        "(env POOLMAIL_DATA_DIR; default ./.poolmail)",
    )
    serve.add_argument(
        "--database-url",
        default=_env("POOLMAIL_DATABASE_URL", None),
        help="postgresql://... to keep state in PostgreSQL, shared by several servers "
        "(env POOLMAIL_DATABASE_URL; default: SQLite in --data-dir)",
    )
    serve.add_argument(
        "--account-id",
        default=_env("POOLMAIL_ACCOUNT_ID", DEFAULT_ACCOUNT_ID),
        help="account of callers whose access key is not a 12-digit account id "
        f"(env POOLMAIL_ACCOUNT_ID; default {DEFAULT_ACCOUNT_ID})",
    )
    serve.add_argument(
        "--log-level",
        default=_env("POOLMAIL_LOG_LEVEL", "warning"),
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log level (env POOLMAIL_LOG_LEVEL; default warning)",
    )
    return parser


class _Server(uvicorn.Server):
    """Prints the ready line once the socket is bound, with the port really in use."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # SIGTERM/SIGINT is how `poolmail serve` is meant to stop: after the graceful
        # shutdown, exit 0 instead of uvicorn's re-raising the signal at the end.
        captured = getattr(self, "_captured_signals", None)
        if isinstance(captured, list):
            captured.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit or not self.servers:
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"poolmail ready on http://{shown}:{port}", flush=True)


def serve(args: argparse.Namespace) -> int:
    problem = None
    if not 0 <= args.port <= 65535:
        problem = f"--port {args.port} is not a port number"
    elif not re.fullmatch(r"\d{12}", args.account_id):
        problem = f"--account-id must be 12 digits, not {args.account_id!r}"
    elif args.database_url is not None and not args.database_url.startswith(POSTGRES_SCHEMES):
        problem = "--database-url must be a postgresql:// URL"
    if problem is not None:
        print(f"poolmail: {problem}", file=sys.stderr)
        return 2
    settings = Settings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        database_url=args.database_url,
        account_id=args.account_id,
    )
    db = open_database(data_dir=settings.data_dir, database_url=settings.database_url)
    try:
        app = create_app(settings, db)
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=args.log_level,
            access_log=False,
            server_header=False,
            lifespan="off",
        )
        asyncio.run(_Server(config).serve())
    finally:
        db.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2
