"""One account's equity as the alert rules judge it: a growth index with capital flows stripped.

Samples (each poll's equity) wait ``settle`` seconds before they count, because a deposit or a
withdrawal moves equity at once but is known only when the deal history syncs; judged earlier,
a withdrawal would look like a loss. Once settled, each sample moves the index by
``(E_k - F_k) / E_{k-1}`` (mt5-api.md §10), ``F_k`` the flows up to it. A flow that arrives after
its interval settled is applied to the next one (best effort: the sync was slower than settle).
"""

from __future__ import annotations

from collections import deque


class EquityTrack:
    __slots__ = ("_flows", "_index", "_last", "_peak", "_pending", "_settled", "keep_seconds")

    def __init__(self, keep_seconds: float = 86400.0) -> None:
        #: How much settled history the equity-drop windows may look back on.
        self.keep_seconds = keep_seconds
        self._pending: deque[tuple[float, float]] = deque()
        self._flows: list[tuple[float, float]] = []
        self._settled: deque[tuple[float, float]] = deque()
        self._last: tuple[float, float] | None = None  # (time, equity) of the last settled sample
        self._index = 1.0
        self._peak = 1.0

    def add_sample(self, t: float, equity: float) -> None:
        newest = self._pending[-1][0] if self._pending else (self._last[0] if self._last else None)
        if newest is None or t > newest:
            self._pending.append((t, equity))

    def add_flow(self, t: float, amount: float) -> None:
        self._flows.append((t, amount))

    def settle(self, until: float) -> None:
        while self._pending and self._pending[0][0] <= until:
            t, equity = self._pending.popleft()
            moved = sum(a for ft, a in self._flows if ft <= t)
            self._flows = [(ft, a) for ft, a in self._flows if ft > t]
            if self._last is not None:
                before = self._last[1]
                if before > 0:
                    self._index *= max(0.0, (equity - moved) / before)
                else:  # nothing was at work: measuring starts again here
                    self._peak = self._index
            self._last = (t, equity)
            self._peak = max(self._peak, self._index)
            self._settled.append((t, self._index))
        while self._settled and self._settled[0][0] < until - self.keep_seconds:
            self._settled.popleft()

    @property
    def has_data(self) -> bool:
        return self._last is not None

    def drawdown_pct(self) -> float | None:
        """How far the index is below its peak (%), over the settled samples; None before any."""
        if self._last is None or self._peak <= 0:
            return None
        return (1.0 - self._index / self._peak) * 100.0

    def drop_pct(self, window_seconds: float) -> float | None:
        """How far the index fell from its highest point of the last ``window_seconds`` (%)."""
        if self._last is None:
            return None
        since = self._last[0] - window_seconds
        high = max((i for t, i in self._settled if t >= since), default=self._index)
        return 0.0 if high <= 0 else (1.0 - self._index / high) * 100.0
