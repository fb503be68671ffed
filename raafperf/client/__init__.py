"""The model-call client: the only package that imports httpx (and aiohttp).

- ``provider.ProviderClient``: one per provider, a ModelCaller (call, embed, health_check,
  stats, aclose). Importing it pulls in httpx; this ``__init__`` stays light.
- ``types``: ChatRequest, CallResult, ToolCall, ModelCaller. ``error_kinds``: the kinds.
- ``config``: the ``client:`` section (ClientConfig, Timeouts, RetryPolicy, RetryBudget).
- ``openai_api`` / ``anthropic_api``: request bodies and answer parsing; ``sse``: the
  event-stream parser; ``retry``: backoff, Retry-After, retry budget (pure).
- ``transport`` / ``aiohttp_transport`` / ``pool_stats`` / ``faults``: the connection layer,
  its trace events, and where transport exceptions become error kinds.
"""
