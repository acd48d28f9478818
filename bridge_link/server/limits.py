"""What one client may ask of the bridge: the limits that keep it answering under abuse.

A bridge on a VPS is reachable by more than the fund's desktop (a watchdog, the web platform, a
scanner, a misconfigured script). Each limit here bounds one resource: memory per request
(bodies), connections and the time they may take to send a request, and, above all, the one
MT5 terminal's time, which every request shares. All are documented in docs/bridge.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerLimits:
    #: Request bodies are a login and a password or a date range; anything larger gets 413.
    max_body_bytes: int = 64 * 1024
    #: Seconds a client has to send a whole request (headers and body) once it starts one.
    header_timeout: float = 5.0
    #: Open connections at most; one more is closed at once (slow clients cannot pile up).
    max_connections: int = 1000
    #: The longest deal or order history one request may ask for (422 beyond).
    max_history_days: int = 3660
    #: One terminal read covers at most this much history, so other requests go in between.
    history_chunk_days: int = 366
    #: Bars one rates request may ask for (422 beyond).
    max_bars: int = 100_000
    #: Terminal reads admitted and not finished at most; one more gets 429.
    max_waiting: int = 64
    #: History requests read at a time, and waiting for their turn at most (one more gets 429).
    history_slots: int = 1
    max_history_waiting: int = 8
    #: Seconds a 429 asks the client to wait (``Retry-After``).
    retry_after: int = 2
