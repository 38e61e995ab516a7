"""The service models as poolmail loads them are the ones botocore's clients use."""

from __future__ import annotations

import botocore.loaders
import pytest

from poolmail.protocol.models import SERVICES, service_model


@pytest.mark.parametrize("name", SERVICES)
def test_the_model_is_what_load_service_model_gives(name: str) -> None:
    expected = botocore.loaders.create_loader().load_service_model(name, "service-2")
    assert service_model(name)._service_description == expected
