"""Hypothesis profiles shared by the whole suite.

* ``quick`` (default): derandomized, few examples -- deterministic in CI.
* ``random``: as quick, but with fresh random seeds on every run (what a new user's run
  draws): ``HYPOTHESIS_PROFILE=random python -m pytest``.
* ``thorough``: many more examples, random seeds; ask for it with
  ``HYPOTHESIS_PROFILE=thorough pytest`` or ``pytest --hypothesis-profile=thorough``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "quick",
    max_examples=25,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "random",
    max_examples=25,
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
