"""A sample project whose tests use only the plugin's fixtures runs green, alone and under
`pytest -n 2`; the README's example passes as written; the plugin's options work, and it
starts nothing unless a test asks for a fixture. Each case runs pytest in a subprocess, in
a directory of its own, as a project that installed poolmail would."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from poolmail.testing import PoolmailError, PoolmailServer

pytest_plugins = ["pytester"]

SAMPLE = Path(__file__).resolve().parent / "sample"
README = Path(__file__).resolve().parents[2] / "README.md"
DOC = Path(__file__).resolve().parents[2] / "docs" / "pytest-plugin.md"
SAMPLE_TESTS = 13
RUN_SECONDS = 180


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project directory. The outer run's xdist worker, if any, is not its, and
    the region is the plugin's to choose."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def copy_sample(project: pytest.Pytester) -> None:
    shutil.copytree(SAMPLE, project.path, dirs_exist_ok=True)


def test_the_sample_project_passes(project: pytest.Pytester) -> None:
    copy_sample(project)
    result = project.runpytest_subprocess(timeout=RUN_SECONDS)
    result.assert_outcomes(passed=SAMPLE_TESTS)


def test_the_sample_project_passes_on_two_xdist_workers(project: pytest.Pytester) -> None:
    copy_sample(project)
    result = project.runpytest_subprocess("-n", "2", timeout=RUN_SECONDS)
    result.assert_outcomes(passed=SAMPLE_TESTS)
    # Each worker started a server of its own, under its own temporary directory...
    logs = sorted(project.path.glob("runpytest-0/popen-gw*/poolmail[0-9]*/server.log"))
    assert [log.parts[-3] for log in logs] == ["popen-gw0", "popen-gw1"]
    urls = {ready_url(log.read_text()) for log in logs}
    assert len(urls) == 2
    # ...and stopped it at its session's end.
    for url in urls:
        with pytest.raises(PoolmailError, match="cannot reach poolmail"):
            PoolmailServer(url).health()


def ready_url(log: str) -> str:
    found = re.search(r"^poolmail ready on (\S+)$", log, re.MULTILINE)
    assert found is not None, log
    return found.group(1)


def first_python_block(text: str) -> str:
    found = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_the_readme_and_docs_examples_pass(project: pytest.Pytester) -> None:
    section = README.read_text().split("## Testing with pytest", 1)[1].split("\n## ", 1)[0]
    project.makepyfile(
        test_readme=first_python_block(section), test_docs=first_python_block(DOC.read_text())
    )
    result = project.runpytest_subprocess("-W", "error", timeout=RUN_SECONDS)
    result.assert_outcomes(passed=2)


def test_nothing_starts_unless_a_fixture_is_asked_for(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = project.runpytest_subprocess(timeout=RUN_SECONDS)
    result.assert_outcomes(passed=1)
    assert not list(project.path.glob("runpytest-*/poolmail*"))
    # The plugin was loaded all the same.
    listed = project.runpytest_subprocess("--fixtures", timeout=RUN_SECONDS)
    listed.stdout.fnmatch_lines(["poolmail_server [[]session scope[]]*", "poolmail_env*"])


def test_serve_arguments_reach_the_server(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_options="""
        def test_no_sandbox(poolmail):
            account = poolmail.client("sesv2").get_account()
            assert account["ProductionAccessEnabled"] is True
            assert account["SendQuota"]["MaxSendRate"] == 3
        """
    )
    project.makeini("[pytest]\npoolmail_args = --ses-max-send-rate 3\n")
    result = project.runpytest_subprocess("--poolmail-arg=--ses-sandbox off", timeout=RUN_SECONDS)
    result.assert_outcomes(passed=1)


def test_a_server_already_running_is_used(
    project: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = PoolmailServer.start(tmp_path / "external")
    try:
        monkeypatch.setenv("EXPECTED_POOLMAIL_URL", running.url)
        project.makepyfile(
            test_external="""
            import os

            def test_uses_it(poolmail_server, poolmail):
                assert poolmail_server.url == os.environ["EXPECTED_POOLMAIL_URL"]
                poolmail.client("cognito-idp").create_user_pool(PoolName="left-behind")
            """
        )
        result = project.runpytest_subprocess(f"--poolmail-url={running.url}", timeout=RUN_SECONDS)
        result.assert_outcomes(passed=1)
        pools = running.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"]
        assert [pool["Name"] for pool in pools] == ["left-behind"]
        # Workers sharing it would reset it under each other: refused, with the way out.
        shared = project.runpytest_subprocess(
            f"--poolmail-url={running.url}", "-n", "2", timeout=RUN_SECONDS
        )
        shared.assert_outcomes(errors=1)
        shared.stdout.fnmatch_lines(["*2 xdist workers would share one server*"])
    finally:
        running.stop()


def test_env_for_every_test_when_the_ini_asks(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\npoolmail_env_autouse = true\npoolmail_region = eu-west-1\n")
    project.makepyfile(
        test_autouse="""
        import boto3

        def test_any_client_reaches_poolmail():
            cognito = boto3.client("cognito-idp")
            pool = cognito.create_user_pool(PoolName="shop")["UserPool"]
            assert pool["Id"].startswith("eu-west-1_")

        def test_and_starts_from_empty_state():
            cognito = boto3.client("cognito-idp")
            assert cognito.list_user_pools(MaxResults=10)["UserPools"] == []
        """
    )
    result = project.runpytest_subprocess(timeout=RUN_SECONDS)
    result.assert_outcomes(passed=2)


def test_a_server_that_cannot_start_fails_with_its_output(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_broken="""
        def test_one(poolmail):
            pass

        def test_two(poolmail):
            pass
        """
    )
    result = project.runpytest_subprocess("--poolmail-arg=--no-such-option", timeout=RUN_SECONDS)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*ServerStartError*`poolmail serve*` exited with code 2*", "*--no-such-option*"]
    )
