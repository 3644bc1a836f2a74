"""Mutual TLS for the TCP base (docs/api.md §9.4): which files, and the contexts.

Capabilities ``TLS Certificate``, ``TLS Key`` and ``TLS CA`` (or the
environment variables ``ACTORCORE_TLS_CERTIFICATE``, ``ACTORCORE_TLS_KEY``,
``ACTORCORE_TLS_CA``) name PEM files: this system's certificate and key, and
the CA that every peer's certificate must chain to. Both sides present a
certificate and both verify (``CERT_REQUIRED``), TLS 1.2 or newer. Peers are
reached by address, not by name, so the chain is what is checked, not a
host name: the CA is the membership. The HMAC handshake still runs inside.

Only the file names travel to the admin and actor processes (an SSL
context cannot be pickled); each process builds its contexts once.
"""
from __future__ import annotations

import os
import ssl
from typing import Any, Mapping

CAPABILITIES = {
    "TLS Certificate": "ACTORCORE_TLS_CERTIFICATE",
    "TLS Key": "ACTORCORE_TLS_KEY",
    "TLS CA": "ACTORCORE_TLS_CA",
}


class TlsFiles:
    """The three files; :meth:`context` gives the SSL context for one side."""

    def __init__(self, certificate: str, key: str, ca: str) -> None:
        self.certificate = certificate
        self.key = key
        self.ca = ca
        self._contexts: dict[bool, ssl.SSLContext] = {}

    def context(self, server: bool) -> ssl.SSLContext:
        ctx = self._contexts.get(server)
        if ctx is None:
            ctx = self._contexts[server] = self._make(server)
        return ctx

    def _make(self, server: bool) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.check_hostname = False  # peers are addresses; the CA decides who belongs
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_cert_chain(self.certificate, self.key)
        ctx.load_verify_locations(cafile=self.ca)
        return ctx

    def __getstate__(self) -> dict[str, Any]:
        return {"certificate": self.certificate, "key": self.key, "ca": self.ca}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["certificate"], state["key"], state["ca"])  # type: ignore[misc]


def tls_files(capabilities: Mapping[str, Any]) -> TlsFiles | None:
    """The TLS files of a system, or None without TLS; a ValueError naming
    what is missing or unusable (checked here, where the caller hears it)."""
    given = {}
    for cap, env in CAPABILITIES.items():
        value = capabilities.get(cap) or os.environ.get(env) or None
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise ValueError(f"{cap} must be a file name, not {type(value).__name__}")
        given[cap] = value
    named = [cap for cap, value in given.items() if value]
    if not named:
        return None
    missing = [cap for cap in CAPABILITIES if not given[cap]]
    if missing:
        raise ValueError(f"TLS needs all of 'TLS Certificate', 'TLS Key' and 'TLS CA'; "
                         f"{', '.join(repr(m) for m in missing)} not given (capability or "
                         f"{', '.join(CAPABILITIES[m] for m in missing)})")
    cert, key, ca = (os.fspath(given[cap] or "") for cap in ("TLS Certificate", "TLS Key", "TLS CA"))
    files = TlsFiles(cert, key, ca)  # (none is empty: checked above)
    try:
        files.context(server=True)
        files.context(server=False)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"the TLS files cannot be used ({files.certificate}, {files.key}, "
                         f"{files.ca}): {exc}") from None
    return files
