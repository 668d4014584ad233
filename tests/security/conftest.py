"""The security tests share the property tests' request handler, built once for the run."""

from tests.properties.conftest import handler

__all__ = ["handler"]
