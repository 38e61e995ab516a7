"""poolmail behind nginx (Debian's package): two replicas on one PostgreSQL database,
clients talking to the balancer only. The configuration is the one docs/operations.md
shows."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.postgres import fresh_database
from tests.support.programs import require_program
from tests.support.server import ServerProcess

pytestmark = pytest.mark.postgres

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log;
daemon off;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    client_max_body_size 64m;
    upstream poolmail {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://poolmail;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # SigV4 signs the Host the client used: pass it through unchanged.
            proxy_set_header Host $http_host;
            proxy_read_timeout 90s;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def balancer(tmp_path: Path) -> Iterator[tuple[str, list[ServerProcess]]]:
    require_program("nginx", NGINX)
    with fresh_database() as url:
        replicas = [ServerProcess(["--database-url", url]).start() for _ in range(2)]
        port = free_port()
        servers = "\n".join(
            f"        server {server.url.removeprefix('http://')};" for server in replicas
        )
        (tmp_path / "nginx.conf").write_text(
            CONFIG.format(home=tmp_path, servers=servers, port=port)
        )
        nginx = subprocess.Popen(
            [NGINX, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/_poolmail/health").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}", replicas
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
            if nginx.stderr is not None:
                nginx.stderr.close()
            for server in replicas:
                server.stop()


def test_clients_see_one_service_through_the_balancer(
    balancer: tuple[str, list[ServerProcess]],
) -> None:
    url, replicas = balancer
    front = ServerProcess([])
    front.url = url
    cognito = front.client("cognito-idp")
    created = [cognito.create_user_pool(PoolName=f"lb-{n}")["UserPool"]["Id"] for n in range(6)]
    # Round-robin sent the writes to both replicas; every read sees all of them.
    for _ in range(4):
        listed = [
            pool["Id"]
            for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=2)
            for pool in page["UserPools"]
        ]
        assert sorted(listed) == sorted(created)
    direct = replicas[1].client("cognito-idp").describe_user_pool(UserPoolId=created[0])
    assert direct["UserPool"]["Name"] == "lb-0"
    assert front.client("sesv2").list_email_identities()["EmailIdentities"] == []
