"""A real DNS server for domain-verification tests: dnsmasq on a free loopback port,
serving exactly the TXT and CNAME records a test gives it."""

from __future__ import annotations

import getpass
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import IO

import dns.exception
import dns.resolver

from tests.support.programs import require_program

DNSMASQ = "/usr/sbin/dnsmasq"


def free_dns_port() -> int:
    """A loopback port free for both UDP and TCP (dnsmasq listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port: int = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


@dataclass
class Dnsmasq:
    port: int
    txt: list[tuple[str, str]] = field(default_factory=list)
    cname: list[tuple[str, str]] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def server(self) -> str:
        """The `--dns-server` value that points poolmail here."""
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            DNSMASQ,
            "--keep-in-foreground",
            "--no-daemon",
            f"--port={self.port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--pid-file=",
            f"--user={getpass.getuser()}",
            *(f"--txt-record={name},{value}" for name, value in self.txt),
            *(f"--cname={name},{target}" for name, target in self.cname),
        ]

    def start(self, timeout: float = 10.0) -> Dnsmasq:
        require_program("dnsmasq", DNSMASQ)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives until stop()
        self.process = subprocess.Popen(self.command(), stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.log()
                self.stop()
                raise RuntimeError(f"dnsmasq did not start: {output}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = 0.5
        try:
            resolver.resolve("ready.invalid", "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return True  # an answer, even a refusal, means it is listening
        except dns.exception.DNSException:
            return False
        return True

    def log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Dnsmasq:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
