"""The runtime's tests use the portfolio tests' store and context fixtures."""

from tests.portfolio.conftest import context, store  # noqa: F401
