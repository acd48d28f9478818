"""The window's Google code must not load the client library (httplib2, google-auth,
googleapiclient: up to a second): the Google service loads it in the I/O lane."""

from __future__ import annotations

import os
import subprocess
import sys

MODULES = ("ui.workspace.panel", "ui.workspace.mail_view", "ui.workspace.calendar_view", "ui.workspace.drive_view",
           "ui.workspace.review_view", "ui.workspace.connect", "ui.workspace.record_actions",
           "fidus_desktop.services.google_service", "fidus_desktop.google.workflow", "fidus_desktop.google.gmail",
           "fidus_desktop.google.calendar", "fidus_desktop.google.drive")
LIBRARY = ("httplib2", "googleapiclient", "google.auth", "google_auth_oauthlib", "google_auth_httplib2")


def test_the_workspace_modules_leave_the_client_library_unloaded():
    code = (f"import sys\nfor m in {MODULES!r}: __import__(m)\n"
            f"print(','.join(m for m in {LIBRARY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=True)
    assert result.stdout.strip() == ""
