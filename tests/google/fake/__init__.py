"""The fake Google used by the tests and the Gmail batch benchmark."""

from .certs import TestCertificates, make_certificates
from .server import FakeGoogle, Reply, Request

__all__ = ["FakeGoogle", "Reply", "Request", "TestCertificates", "make_certificates"]
