"""The model-call client: the only package that imports httpx (and aiohttp).

Public API: :class:`ProviderClient` (one per provider, a ModelCaller), the value types in
:mod:`raafperf.client.types`, error kinds in :mod:`raafperf.client.error_kinds` and the
``client:`` config in :mod:`raafperf.client.config`. Import ``raafperf.client.provider``
for ProviderClient (it pulls in httpx; this package's ``__init__`` stays light).
"""
