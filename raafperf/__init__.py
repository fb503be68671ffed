"""raafperf: benchmark and profile AI-agent workloads."""

__version__ = "0.1.0"
