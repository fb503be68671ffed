"""Real TLS on loopback: a throwaway CA and a server certificate for 127.0.0.1 and localhost."""

from __future__ import annotations

import ssl
from pathlib import Path


class LoopbackTLS:
    """Generates the CA and server certificate once; writes the CA PEM for clients to trust."""

    def __init__(self, directory: Path) -> None:
        import trustme  # lazy: only TLS runs pay for it

        self._ca = trustme.CA(organization_name="raafperf simulator")
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost", "::1")
        self.ca_cert_path = Path(directory) / "raafperf-sim-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_cert_path))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(ctx)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx
