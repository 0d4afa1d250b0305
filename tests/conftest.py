"""Shared test configuration."""

from hypothesis import HealthCheck, settings

# CI machines are shared and loaded: a property test must fail on a wrong answer, never
# on a slow example. Per-test @settings still choose their own example counts.
settings.register_profile(
    "mbs", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("mbs")
