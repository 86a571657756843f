"""TLS material for a gRPC stand-in: one private CA and server certificate per process.

A platform's official gRPC client may always open a TLS channel and trust only the roots gRPC
loads. gRPC core reads `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` once, when the first TLS channel of the
process is created, and keeps those roots for the life of the process. A second certificate generated
later in the same process could therefore never be trusted. So every sandbox started in one
process shares the certificate made here (generated on first use, cached), and the CA file lives
at a stable path for as long as the process runs. Child processes (Dagster run workers, the
pipeline started by `perfmkt sandbox` users) inherit the environment variable and read the same
file.
"""

from __future__ import annotations

import atexit
import datetime as dt
import ipaddress
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

# gRPC core's environment variable naming a PEM file of trusted roots (read once per process).
GRPC_ROOTS_ENV = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"

# Names the client may dial: the library is given "localhost:<port>"; tools may use the IP.
SERVER_DNS_NAMES = ("localhost",)
SERVER_IP_ADDRESSES = ("127.0.0.1", "::1")

# Validity is generous around the generation instant so clock skew between processes never
# matters; the certificate is throwaway and only ever trusted on loopback.
_VALID_BEFORE = dt.timedelta(days=1)
_VALID_AFTER = dt.timedelta(days=3650)


@dataclass(frozen=True)
class LoopbackTls:
    """The process-wide TLS material: a CA (what clients trust) and the server's key pair."""

    ca_file: Path  # PEM of the CA certificate; point GRPC_DEFAULT_SSL_ROOTS_FILE_PATH here
    ca_pem: bytes
    server_cert_pem: bytes  # leaf for localhost/127.0.0.1, signed by the CA
    server_key_pem: bytes


_lock = threading.Lock()
_cached: LoopbackTls | None = None


def loopback_tls() -> LoopbackTls:
    """Return this process's TLS material, generating and writing it on first use."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = _generate()
        return _cached


def ca_file() -> str:
    """Path of the PEM file clients must trust to reach the sandbox's gRPC server."""
    return str(loopback_tls().ca_file)


def trust_env() -> dict[str, str]:
    """Environment variables that make gRPC clients (and child processes) trust the sandbox."""
    return {GRPC_ROOTS_ENV: ca_file()}


def install_trust() -> str:
    """Point this process's gRPC at the sandbox CA; call before the first TLS channel is created.

    Returns the CA path. gRPC ignores later changes of the variable, so a process that already
    opened a TLS channel with other roots cannot be fixed by calling this.
    """
    path = ca_file()
    previous = os.environ.get(GRPC_ROOTS_ENV)
    if previous and previous != path:
        log.warning(
            "%s was %s; pointing it at the sandbox CA %s. A TLS channel opened before now "
            "keeps the old roots and cannot reach the sandbox.",
            GRPC_ROOTS_ENV,
            previous,
            path,
        )
    os.environ[GRPC_ROOTS_ENV] = path
    return path


def _generate() -> LoopbackTls:
    # Certificate timestamps come from the wall clock by nature; nothing else depends on them.
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "perfmkt sandbox local CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _VALID_BEFORE)
        .not_valid_after(now + _VALID_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_DNS_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IP_ADDRESSES]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _VALID_BEFORE)
        .not_valid_after(now + _VALID_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    directory = Path(tempfile.mkdtemp(prefix=f"perfmkt-sandbox-tls-{os.getpid()}-"))
    _remove_at_exit(directory)
    path = directory / "ca.pem"
    path.write_bytes(ca_pem)
    return LoopbackTls(
        ca_file=path,
        ca_pem=ca_pem,
        server_cert_pem=server_cert.public_bytes(serialization.Encoding.PEM),
        server_key_pem=server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _remove_at_exit(directory: Path) -> None:
    owner_pid = os.getpid()

    def remove() -> None:
        # A forked child inherits the handler; only the process that made the file removes it.
        if os.getpid() == owner_pid:
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(remove)
