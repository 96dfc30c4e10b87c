"""Shared bounds for the property tests: few examples, no deadline (the machine is shared), derandomised (the
same examples on every run: a failure is a defect, never a flake), no example database on disk."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

# The examples share one rolled-back test transaction (tests/conftest.py): function-scoped fixtures are meant.
_SHARED = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large])


def bounded(examples: int):
    return settings(max_examples=examples, **_SHARED)
