"""Google Workspace for FIDUS Desktop: the installed-app sign-in, Gmail, Calendar and Drive.

Qt-free and thread-free: blocking calls go through an injected ``run_blocking`` (the core's I/O
lane). Start from :class:`fidus_desktop.google.account.GoogleAccount`; modules are small and
named for what they hold (``consent``, ``client``, ``gmail``, ``calendar``, ``drive``...).
Nothing here is imported at start-up: the client library costs a noticeable import time.
"""
