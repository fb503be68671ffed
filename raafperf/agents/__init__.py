"""Agents: definitions, the runner loop with tools, the agent pool, per-agent summary.

Public API (import from the modules; this package stays import-light)::

    from raafperf.agents.config import AgentConfig, ToolConfig
    from raafperf.agents.runner import AgentRunner, RequestOutcome, ToolRun
    from raafperf.agents.pool import AgentPool
    from raafperf.agents.summary import summarize_agents
"""
