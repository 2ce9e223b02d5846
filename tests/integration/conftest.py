from __future__ import annotations

import pytest


@pytest.fixture(params=["memory", "moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def store(request: pytest.FixtureRequest) -> str:
    """Run a repository behaviour suite against the in-memory table, moto and DynamoDB Local: the same
    assertions on all three are what keeps the in-memory table honest."""
    if request.param == "memory":
        request.getfixturevalue("memory_table")
    elif request.param == "moto":
        request.getfixturevalue("aws")
    else:
        request.getfixturevalue("ddb_local")
    return str(request.param)
