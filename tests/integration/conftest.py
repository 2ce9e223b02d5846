from __future__ import annotations

import pytest


@pytest.fixture(params=["moto", "dynamodb_local"])
def store(request: pytest.FixtureRequest) -> str:
    """Run a repository behaviour suite against moto and against DynamoDB Local."""
    if request.param == "moto":
        request.getfixturevalue("aws")
    else:
        request.getfixturevalue("ddb_local")
    return str(request.param)
