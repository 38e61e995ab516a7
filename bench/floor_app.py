"""The floor: the least a Starlette/uvicorn server with SQLite can do per request.

`POST /insert` writes one row in its own transaction; `GET /read` reads one row by primary
key. SQLite is set up as poolmail's is by default (WAL, synchronous=NORMAL), the calls run
on the event loop with nothing around them, and uvicorn uses uvloop and httptools. How close
poolmail gets to these numbers is how much room is left.

    python bench/floor_app.py PORT DATABASE_FILE
"""

from __future__ import annotations

import sqlite3
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build(path: str) -> Starlette:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT)")
    connection.execute("INSERT OR IGNORE INTO items (id, body) VALUES (1, 'first')")

    async def insert(request: Request) -> Response:
        body = await request.body()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO items (body) VALUES (?)", (body.decode(),))
        connection.execute("COMMIT")
        return Response(b'{"ok":true}', media_type="application/json")

    async def read(request: Request) -> Response:
        row = connection.execute("SELECT body FROM items WHERE id = 1").fetchone()
        return Response(b'{"body":"' + row[0].encode() + b'"}', media_type="application/json")

    return Starlette(
        routes=[Route("/insert", insert, methods=["POST"]), Route("/read", read, methods=["GET"])]
    )


if __name__ == "__main__":
    port, database = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(
        build(database),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
