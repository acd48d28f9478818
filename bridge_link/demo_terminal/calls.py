"""The real module's calling protocol: argument checks, ``None``/``False`` plus ``last_error()``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from . import constants as c

NO_IPC = (c.RES_E_INTERNAL_FAIL_CONNECT, c.MESSAGES[c.RES_E_INTERNAL_FAIL_CONNECT])


class CallFailed(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message if message is not None else c.MESSAGES.get(code, "Terminal: Call failed")


def api(fail: Any = None, *, needs_init: bool = True) -> Callable:
    """Wraps a public function with the real module's failure protocol."""

    def wrap(fn: Callable) -> Callable:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            self.threads_seen.add(threading.get_ident())
            self.calls += 1
            if self.call_delay:
                time.sleep(self.call_delay)
            try:
                self._check_faults(fn.__name__)
                if needs_init and not self._initialized:
                    raise CallFailed(*NO_IPC)
                result = fn(self, *args, **kwargs)
            except CallFailed as failure:
                self._last_error = (failure.code, failure.message)
                return fail
            self._last_error = (c.RES_S_OK, "Success")
            return result

        call.__name__ = fn.__name__
        call.__qualname__ = f"DemoTerminal.{fn.__name__}"
        call.__doc__ = fn.__doc__
        call.__wrapped__ = fn  # inspect.signature shows the real argument conventions
        return call

    return wrap


def int_arg(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CallFailed(c.RES_E_INVALID_PARAMS, f'Invalid "{name}" argument')
    return value


def str_arg(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise CallFailed(c.RES_E_INVALID_PARAMS, f'Invalid "{name}" argument')
    return value


def date_arg(value: Any, position: str) -> float:
    """The binary's rule (mt5-api.md §8): a datetime goes through ``.timestamp()``; numbers pass."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise CallFailed(c.RES_E_INVALID_PARAMS, f"Invalid {position} unnamed argument")


def match_group(names: Iterable[str], pattern: str) -> list[str]:
    """``group`` filters (mt5-api.md §9.3): inclusions add, ``!`` conditions remove, left to right."""
    chosen: dict[str, None] = {}
    pool = list(names)
    for raw in pattern.split(","):
        cond = raw.strip()
        negate = cond.startswith("!")
        cond = cond[1:] if negate else cond
        hits = [n for n in (list(chosen) if negate else pool) if _wild(n, cond)]
        for name in hits:
            if negate:
                chosen.pop(name, None)
            else:
                chosen[name] = None
    return list(chosen)


def _wild(name: str, cond: str) -> bool:
    parts = cond.split("*")
    if len(parts) == 1:
        return name == cond
    if not name.startswith(parts[0]) or not name.endswith(parts[-1]):
        return False
    pos = len(parts[0])
    for middle in parts[1:-1]:
        found = name.find(middle, pos)
        if found < 0:
            return False
        pos = found + len(middle)
    return pos <= len(name) - len(parts[-1])
