"""Who makes a change, and which screen asked for it.

The actor (named in every audit entry) is the person signed in to this computer: the desktop
has no log-in of its own. The initiator is whatever asked for a write (usually a panel), so it
can skip the echo of its own change; the UI's task runner sets it around the work it starts,
and services never pass it along.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
from collections.abc import Iterator

_initiator: contextvars.ContextVar[object | None] = contextvars.ContextVar("fidus-initiator", default=None)


def current_actor() -> str:
    """The desktop's signed-in user, as the audit trail names them."""
    try:
        return getpass.getuser() or "manager"
    except (OSError, KeyError, ImportError):  # no login name (a service account, a container)
        return "manager"


def current_initiator() -> object | None:
    return _initiator.get()


@contextlib.contextmanager
def acting_for(initiator: object | None) -> Iterator[None]:
    """Writes made inside the block (and the tasks it starts) name ``initiator``."""
    token = _initiator.set(initiator)
    try:
        yield
    finally:
        _initiator.reset(token)
