"""The process-wide TLS material of the Google Ads gRPC stand-in."""

from __future__ import annotations

import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from perfmkt_pipeline.sandbox import tls


def test_every_call_in_a_process_returns_the_same_certificate_and_ca_file():
    first, second = tls.loopback_tls(), tls.loopback_tls()
    assert first is second
    assert tls.ca_file() == str(first.ca_file)
    assert first.ca_file.read_bytes() == first.ca_pem


def test_server_certificate_is_signed_by_the_ca_for_every_loopback_name():
    material = tls.loopback_tls()
    ca = x509.load_pem_x509_certificate(material.ca_pem)
    server = x509.load_pem_x509_certificate(material.server_cert_pem)

    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)


def test_only_the_ca_certificate_is_written_to_disk():
    material = tls.loopback_tls()
    assert sorted(p.name for p in material.ca_file.parent.iterdir()) == ["ca.pem"]
    assert b"PRIVATE KEY" not in material.ca_file.read_bytes()


def test_install_trust_names_the_ca_file_for_grpc_and_child_processes():
    path = tls.install_trust()
    assert os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] == path == tls.ca_file()
    assert tls.trust_env() == {"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": path}
