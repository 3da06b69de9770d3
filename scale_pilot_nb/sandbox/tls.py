"""A throw-away self-signed certificate for ``wss://`` sandboxes.

Made with the ``openssl`` command line tool: the ``cryptography`` package is not a dependency of
this project and a test certificate does not justify one.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

#: Days the generated certificate stays valid (a sandbox lives for minutes or hours).
VALID_DAYS = 7


class CertificateError(RuntimeError):
    """The certificate could not be generated (``openssl`` missing or failing)."""


def self_signed(directory: Path, host: str) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for ``localhost``, ``127.0.0.1`` and ``host``.

    Returns:
        The certificate path (also usable as a CA file by clients) and the key path.

    Raises:
        CertificateError: ``openssl`` is not installed or failed; the message says why.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError("--tls needs the 'openssl' command (apt-get install openssl)")
    cert, key = directory / "cert.pem", directory / "key.pem"
    names = {"DNS:localhost", "IP:127.0.0.1"}
    names.add(f"IP:{host}" if host.replace(".", "").isdigit() or ":" in host else f"DNS:{host}")
    command = [
        openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
        "-days", str(VALID_DAYS), "-subj", "/CN=scale-pilot-sandbox",
        "-addext", "subjectAltName=" + ",".join(sorted(names)),
        "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise CertificateError(f"openssl failed: {result.stderr.strip()[-300:]}")
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context for the generated certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
