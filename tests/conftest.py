"""Suite-wide settings: Hypothesis runs seeded, end-to-end tests get a longer time-out.

- Hypothesis profile ``ci`` (the default): ``derandomize=True`` (the examples come from a fixed
  seed derived from each test, so every run of the suite tries the same cases and a failure is
  reproduced by running it again), no example database (nothing written under ``.hypothesis/``),
  no per-example deadline (a loaded 2-core box must not turn a slow example into a failure; the
  per-test time-out of ``pyproject.toml`` bounds the whole test instead). ``HYPOTHESIS_PROFILE=dev``
  explores new random cases locally.
- pytest-timeout: ``pyproject.toml`` gives every test ``timeout = 300`` s; tests marked ``slow``
  (notebook runs, WeasyPrint) get ``SLOW_TIMEOUT_S`` unless they carry their own
  ``@pytest.mark.timeout``. Either way a hang fails with every thread's traceback.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

SLOW_TIMEOUT_S = 900
"""End-to-end tests: one client run takes 30–60 s alone, up to ~3 min on a busy 2-core box, and a
module fixture may run several before its first test."""

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))
