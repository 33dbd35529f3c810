"""The postgres_url fixture: a throwaway PostgreSQL server for the tests (see issue 7)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL URL; LEDGER_TEST_POSTGRES_URL when set."""
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL")
    if url:
        return url
    reason = "no PostgreSQL server for the tests yet"
    if os.environ.get("LEDGER_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)
