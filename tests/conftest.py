"""Shared test configuration."""

import asyncio
from collections.abc import Callable

import looptime
import pytest
from hypothesis import HealthCheck, settings

# CI machines are shared and loaded: a property test must fail on a wrong answer, never
# on a slow example. Per-test @settings still choose their own example counts.
settings.register_profile(
    "mbs", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("mbs")


# Virtual time. A test module marked ``pytestmark = pytest.mark.virtual_time`` runs its
# async tests, fixtures included, on a looptime event loop: whenever every task waits
# on a timer, the loop's clock jumps to the next one instead of sleeping. The simulator
# and the campaign clocks read the loop's clock, so a 20 s simulated ring costs no wall
# time and a slow machine only makes a test slower, never different. I/O is not time:
# bytes in flight on loopback sockets are polled before any jump, and while a worker
# thread (``asyncio.to_thread``: the store) runs, the clock follows the wall. Tests
# that talk to another process or to a thread of their own keep the real clock.
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "virtual_time: run the async tests on a fast-forwarding (looptime) loop"
    )


def _virtual_loop() -> asyncio.AbstractEventLoop:
    return looptime.new_event_loop()


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    if item.get_closest_marker("virtual_time") is not None:
        return {"virtual": _virtual_loop}
    return {"wall": asyncio.new_event_loop}
