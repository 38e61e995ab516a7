"""The `poolmail` command line: `serve`, `integrate`, `doctor` and `env`."""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable, Sequence

from poolmail.clock import Clock
from poolmail.serve_options import UsageError, add_serve_options, settings_from
from poolmail.server.process import return_large_blocks, serve_one
from poolmail.tools.commands import add_commands, run_doctor, run_env, run_integrate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="poolmail",
        description="A faithful local stand-in for Amazon Cognito user pools with Amazon SES.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the AWS-compatible server",
        description="Serve Cognito user pools, SES v1 and SES v2 on one port. Defaults "
        "behave like a new AWS account; each looser behaviour is an option below.",
    )
    add_serve_options(serve)
    add_commands(commands)
    return parser


def serve(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
    except UsageError as problem:
        print(f"poolmail: {problem}", file=sys.stderr)
        return 2
    return_large_blocks()
    if settings.workers > 1:
        from poolmail.server import workers

        def worker(sock: socket.socket, clock: Clock, ready: Callable[[], None]) -> None:
            serve_one(settings, args.log_level, sock=sock, clock=clock, announce=ready)

        return workers.serve(settings, worker)
    serve_one(settings, args.log_level)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "integrate":
        return run_integrate(args)
    if args.command == "doctor":
        return run_doctor(args)
    if args.command == "env":
        return run_env(args)
    return 2
