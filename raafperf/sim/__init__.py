"""The built-in provider simulator: OpenAI + Anthropic HTTP APIs on loopback.

Public API::

    from raafperf.sim import (SimulatorConfig, LatencyModel, Distribution, FaultSpec,
                              RateLimits, SimulatedProviderSpec, SimulatorEndpoint,
                              SimulatorProcess, SimulatorServer, read_ground_truth)
"""

from raafperf.sim.config import (
    Distribution,
    FaultSpec,
    LatencyModel,
    RateLimits,
    SimulatorConfig,
)
from raafperf.sim.groundtruth import read_ground_truth
from raafperf.sim.host import SimulatorEndpoint, SimulatorServer
from raafperf.sim.process import SimulatorProcess
from raafperf.sim.server import REQUEST_ID_HEADER, SimulatedProviderSpec

__all__ = [
    "REQUEST_ID_HEADER",
    "Distribution",
    "FaultSpec",
    "LatencyModel",
    "RateLimits",
    "SimulatedProviderSpec",
    "SimulatorConfig",
    "SimulatorEndpoint",
    "SimulatorProcess",
    "SimulatorServer",
    "read_ground_truth",
]
