"""A byte-faithful FreeSWITCH 1.10 Event Socket simulator with scripted callers.

``async with Simulator(seed=1, time_scale=50) as sim: ...`` serves inbound ESL on
``127.0.0.1:sim.port``; see docs/simulator.md.
"""

from mbs.freeswitch.sim.faults import Faults
from mbs.freeswitch.sim.personas import Persona, PersonaBook, PersonaKind, Turn, parse_mix
from mbs.freeswitch.sim.server import Simulator, simulator_thread

__all__ = [
    "Faults",
    "Persona",
    "PersonaBook",
    "PersonaKind",
    "Simulator",
    "Turn",
    "parse_mix",
    "simulator_thread",
]
