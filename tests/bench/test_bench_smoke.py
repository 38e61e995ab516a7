"""The benchmark still runs: its load generator against poolmail alone, for a moment, with
tiny states, ending in a results document. A smoke test, not a timed assertion: figures
on a shared CI machine mean nothing; that the harness works does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_benchmark_produces_a_results_document(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench.py"),
            "--smoke",
            "--systems",
            "poolmail",
            "--no-profile",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    poolmail = results["systems"]["poolmail"]
    assert poolmail["status"] == "ok", poolmail
    assert poolmail["startup_seconds"] > 0
    assert poolmail["rss_bytes_after_load"] > 0
    # The server's own process apart from what it started (function runners).
    assert 0 < poolmail["server_rss_bytes_after_load"] <= poolmail["rss_bytes_after_load"]
    for workload in (
        "DescribeUserPool",
        "SES v1 SendEmail",
        "SES v2 SendEmail",
        "List the mailbox",
        # The workloads of the sign-in and event features (issue 20).
        "Sign-in with TOTP MFA (the code's answer)",
        "OAuth token (client_credentials)",
        "SignUp through a PreSignUp trigger",
        "SES v2 SendEmail + event to SNS",
        "ListUsers with a filter",
    ):
        entry = poolmail["workloads"][workload]
        assert entry["status"] == "ok", (workload, entry)
        for run in entry["runs"].values():
            assert run["requests"] > 0 and run["ok"] == run["requests"], (workload, run)
    for kind in ("users", "messages"):
        assert len(results["scaling"][kind]) == 2
    document = (tmp_path / "RESULTS.md").read_text()
    for heading in (
        "## Machine",
        "### DescribeUserPool",
        "## Targets (issue 8)",
        "## poolmail as state grows",
    ):
        assert heading in document
