"""Fixtures of the OAuth tests: apps (pool, domain, clients, user) whose browsers close."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.cognito.oauth.helpers import App, make_app
from tests.support.server import ServerProcess


@pytest.fixture
def make(live: ServerProcess) -> Iterator[Callable[..., App]]:
    made: list[App] = []

    def factory(**web: Any) -> App:
        made.append(make_app(live, **web))
        return made[-1]

    yield factory
    for app in made:
        app.browser.close()


@pytest.fixture
def app(make: Callable[..., App]) -> App:
    return make()
