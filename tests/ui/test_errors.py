"""ui.errors: the triage, and no secret in what the manager sees or copies."""

from __future__ import annotations

import pytest

from fidus_desktop.errors import StorageUnavailable, UserCancelled
from fidus_desktop.logs import register_secret
from ui.errors import describe

pytestmark = pytest.mark.gui


def test_expected_errors_show_their_message_and_detail():
    report = describe(StorageUnavailable("MongoDB did not answer.", detail="server selection timed out"),
                      "load clients")
    assert report.title == "Could not finish" and report.message == "MongoDB did not answer."
    assert "server selection timed out" in report.detail and not report.unexpected


def test_cancellation_is_silent():
    assert describe(UserCancelled()) is None


def test_unexpected_errors_carry_the_traceback_without_secrets():
    register_secret("api-key-0123456789")
    try:
        raise RuntimeError("bridge refused api-key-0123456789 for mongodb://fund:hunter22@db.example.net")
    except RuntimeError as exc:
        report = describe(exc, "poll MT5")
    assert report.unexpected and report.title == "Unexpected error"
    assert report.message.startswith("Unexpected error while running poll MT5: RuntimeError")
    assert "Traceback" in report.detail and "test_unexpected_errors_carry" in report.detail
    for secret in ("api-key-0123456789", "hunter22"):
        assert secret not in report.message and secret not in report.detail
