"""Shared test configuration: hypothesis profiles.

`make test` uses the fast profile; `make nightly` sets HYPOTHESIS_PROFILE=nightly.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The PostgreSQL server fixture (postgres_url) lives in its own module.
pytest_plugins = ["tests.pg_server"]

settings.register_profile(
    "fast",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
