"""A chart of 1,000,000 equity points: pan/zoom frame time, offscreen (issue 10: goal under 60 ms).

Ours: the MT5 panel's curve (``ui.mt5.charts.smooth_curve``: ``setDownsampling(auto=True,
method="peak")`` and ``setClipToView(True)``) on a plot with the local-time date axis, as the
Charts tab draws it. Baseline, in the same run: the very same plot and data without downsampling
and clipping (what ``plot.plot(t, v)`` gives), which is what pyqtgraph does by default.

A frame is one step of a scripted pan/zoom (all history, zoom to 3 months, 1 week, a day, pans
along the time axis, zoom out again) followed by an offscreen render of the widget
(``QWidget.grab()``, which paints synchronously), so its time is what the manager would wait for.
Printed: median and worst frame of each, and the ratio; a float-loop calibration too, so runs on
machines of different speed can be compared. Run: ``uv run python benchmarks/bench_mt5_chart.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ui.mt5.charts import smooth_curve  # noqa: E402

POINTS = 1_000_000
SAMPLE_SECONDS = 5.0  # one equity sample per poll
DAY = 86400.0


def equity_walk(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = 1.7e9 + np.arange(n, dtype=np.float64) * SAMPLE_SECONDS
    v = 250_000.0 + np.cumsum(rng.normal(0.0, 45.0, n))
    return t, v


def frames(t: np.ndarray) -> list[tuple[float, float]]:
    """The scripted views: all, 3 months, 1 week, 1 day, pans, and back out."""
    end = float(t[-1])
    views = [(float(t[0]), end), (end - 90 * DAY, end), (end - 7 * DAY, end), (end - DAY, end)]
    for step in range(1, 16):  # pan back through a week, a few hours at a time
        views.append((end - DAY - step * 0.4 * DAY, end - step * 0.4 * DAY))
    views += [(end - 30 * DAY, end - 20 * DAY), (end - 60 * DAY, end), (float(t[0]), end)]
    for step in range(1, 11):  # pan across the whole history at the 3-month zoom
        lo = float(t[0]) + step * (end - float(t[0]) - 90 * DAY) / 10
        views.append((lo, lo + 90 * DAY))
    return views


def measure(fast: bool, t: np.ndarray, v: np.ndarray) -> list[float]:
    widget = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
    widget.setBackground("w")
    widget.resize(1200, 420)
    widget.show()
    plot = widget.getPlotItem()
    plot.setMouseEnabled(x=True, y=False)
    plot.getViewBox().setAutoVisible(y=True)
    curve = smooth_curve(plot, "#009E73", "Equity", fast=fast)
    curve.setData(t, v)
    widget.grab()  # the first paint (caches, fonts) is not a pan/zoom frame
    times = []
    for lo, hi in frames(t):
        started = time.perf_counter()
        plot.setXRange(lo, hi, padding=0)
        plot.enableAutoRange(axis="y")
        widget.grab()
        times.append((time.perf_counter() - started) * 1000)
    widget.close()
    widget.deleteLater()
    return times


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    t, v = equity_walk(POINTS)
    ours = measure(True, t, v)
    plain = measure(False, t, v)
    calibration = min(timed(lambda: sum(float(i) for i in range(100_000))) for _ in range(5))
    ours_med, plain_med = statistics.median(ours), statistics.median(plain)
    print(f"pan/zoom of a chart of {POINTS:,} equity points, {len(ours)} frames each, offscreen render")
    print(f"  without downsampling and clipping (baseline): median {plain_med:8.1f} ms   worst {max(plain):8.1f} ms")
    print(f"  peak downsampling + clip to view (ours):      median {ours_med:8.1f} ms   worst {max(ours):8.1f} ms")
    print(f"  ratio (median) {plain_med / ours_med:5.1f}x, (worst) {max(plain) / max(ours):5.1f}x   (goal < 60 ms a frame)")
    print(f"  machine: 100,000 float additions take {calibration:6.1f} ms; load average {os.getloadavg()[0]:.1f}")
    app.processEvents()


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
