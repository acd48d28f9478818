"""How long the real window freezes, step by step, on the demo fund and at 10k and 100k investments.

    uv run python benchmarks/bench_ui_stalls.py [--sizes demo,10000,100000] [--runs 2]

Each run is a fresh process that starts the window exactly as ``fidus-desktop --smoke
--demo-size N`` does (``ui/app.py``: qasync, the lanes, the services, the stall watchdog with its
10 ms heartbeat), on a throwaway copy of the demo fund, and then, instead of the smoke's tour,
acts as a manager would: it opens every panel and every Portfolio tab, types in the calendar's
and the investments' search boxes (one key every 120 ms), sorts a column, marks a payment as
paid, edits a product, and lets another connection write the fund file (seen through SQLite's
``data_version``). Per step it prints the worst stall of the event loop (the GUI thread), the
CPU time the GUI thread itself spent in that stall (the rest is waiting: for a core on a busy
machine, or for the interpreter lock), how long the step took to show its result, and what the
watchdog saw running (the cause it names and the innermost app frame of the loop thread's stack,
sampled as the stall passed 20 ms).

No baseline ratio: the figure is absolute (the goal: no stall over 50 ms). The whole-process
launch time is measured from outside here too (the parent's clock at spawn to the child's at
"usable"); ``bench_cold_start.py`` does it over more runs.

The first run is a warm-up that is not counted: it writes the bytecode caches an installed app
has (this machine sets ``PYTHONDONTWRITEBYTECODE``) and builds the demo templates.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine  # this folder's module

ROOT = Path(__file__).resolve().parents[1]
THRESHOLD_MS = 20
GOAL_MS = 50
#: Typed in the search boxes: a last name of the demo fund (about one client in twenty).
TYPED = "rojas"
KEY_INTERVAL_S = 0.12
#: Idle time after a step showed its result, so stalls of the paint that follows count.
SETTLE_S = 0.4


# ---- the child: the window, driven -----------------------------------------------------------

def child(size: int, out: Path, profile: bool) -> int:
    from fidus_desktop.cli import LaunchOptions, StartupClock  # first: the clock's origin

    clock = StartupClock()
    from fidus_desktop.paths import HOME_ENV, AppPaths

    home = Path(tempfile.mkdtemp(prefix="fidus-stalls-"))
    os.environ[HOME_ENV] = str(home)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["FIDUS_STALL_MS"] = str(THRESHOLD_MS)
    import ui.smoke
    from ui.app import run_gui

    results: dict = {"size": size, "steps": []}

    async def drive(window, painted, clock, watchdog) -> int:  # noqa: ANN001 (run_smoke's signature)
        from window_tour import WindowTour  # this folder's module (the script's folder is on sys.path)

        try:
            await WindowTour(window, watchdog, results, profile=profile).run(painted, clock)
        finally:
            out.write_text(json.dumps(results))
            window.close()
        return 0

    ui.smoke.run_smoke = drive  # the app's own start-up, with this tour instead of the smoke's
    options = LaunchOptions(demo=True, smoke=True, demo_size=0 if size == 0 else size)
    try:
        return run_gui(AppPaths.default(), options, clock)
    finally:
        import shutil

        shutil.rmtree(home, ignore_errors=True)


# ---- the parent: runs and tables ---------------------------------------------------------------

def label(size: int) -> str:
    return "demo fund" if size == 0 else f"{size:,} investments"


def run_child(size: int, log_dir: Path, tag: str, profile: bool = False) -> dict:
    out = log_dir / f"{tag}.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    spawned = time.perf_counter()  # CLOCK_MONOTONIC: the child's perf_counter compares
    with open(log_dir / f"{tag}.log", "w") as log:
        command = [sys.executable, __file__, "--child", str(size), "--out", str(out), *(["--profile"] if profile else [])]
        code = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=1800).returncode
    if code != 0 or not out.exists():
        raise SystemExit(f"run {tag} failed ({code}); see {log_dir / f'{tag}.log'}")
    result = json.loads(out.read_text())
    result["launch_outside_s"] = result["usable_at"] - spawned
    return result


def prepare_templates(sizes: list[int]) -> None:
    from fidus_desktop.demo.scale import prepare_scaled_demo, template_path
    from fidus_desktop.paths import AppPaths

    for size in sizes:
        if size and not template_path(size).exists():
            print(f"building the demo template of {size:,} investments (once per day)...", flush=True)
            with tempfile.TemporaryDirectory() as tmp:
                prepare_scaled_demo(AppPaths.under(Path(tmp)), size)


def print_scale(size: int, runs: list[dict], profile: bool = False) -> None:
    print(f"\n== {label(size)}: {len(runs)} run(s); worst stall and time to result are medians over runs; "
          f"cause from the run with the worst stall")
    print(f"  {'step':<44}{'worst stall':>12}{'GUI CPU':>9}{'to result':>11}  cause (what ran / innermost app frame)")
    names = [s["name"] for s in runs[0]["steps"]]
    for name in names:
        steps = [next(s for s in r["steps"] if s["name"] == name) for r in runs if
                 any(s["name"] == name for s in r["steps"])]
        worst = statistics.median(s["worst_ms"] for s in steps)
        took = statistics.median(s["ms"] for s in steps)
        cpu = statistics.median(s["cpu_of_worst_ms"] for s in steps)
        cause = max(steps, key=lambda s: s["worst_ms"])
        flag = " " if worst < GOAL_MS else "!"
        shown = f"<{THRESHOLD_MS}" if worst < THRESHOLD_MS else f"{worst:.0f}"
        print(f" {flag}{name:<44}{shown:>9} ms{cpu:>6.0f} ms{took:>8.0f} ms  {cause['cause'][:100]}")
        if profile and worst >= GOAL_MS:
            for line in cause["profile"]:
                print(f"{'':>77}{line[:120]}")
    def step_ms(name: str) -> float:
        return statistics.median(next(s["ms"] for s in r["steps"] if s["name"] == name) for r in runs)

    worst = statistics.median(max(s["worst_ms"] for s in r["steps"]) for r in runs)
    cpu = statistics.median(max(s["max_cpu_ms"] for s in r["steps"]) for r in runs)
    print(f"  worst stall of the tour: {worst:.0f} ms (goal < {GOAL_MS} ms); the most GUI-thread CPU in one stall: "
          f"{cpu:.0f} ms")
    print(f"  launch to usable, whole process (from outside): "
          f"{statistics.median(r['launch_outside_s'] for r in runs):.2f} s (goal < 1.5 s on the demo fund); "
          f"inside: {' '.join(f'{k}={statistics.median(r['clock'][k] for r in runs):.2f}s' for k in runs[0]['clock'])}")
    print(f"  portfolio book read and computed (from fund open): {statistics.median(r['book_ready_s'] for r in runs):.2f} s;"
          f" then Portfolio open to usable: {step_ms('open Portfolio'):.0f} ms (goal < 1000 ms at 100k)")
    print(f"  mark paid, submit to calendar redrawn: {step_ms('mark paid: submit to calendar redrawn'):.0f} ms; then "
          f"dashboard tab {step_ms('mark paid: then the dashboard tab'):.0f} ms, investments tab "
          f"{step_ms('mark paid: then the investments tab'):.0f} ms (goal: every tab < 100 ms)")
    print(f"  peak memory (max RSS of the process): {statistics.median(r['peak_mb'] for r in runs):.0f} MB"
          f" (goal < 400 MB at 100k)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="demo,10000,100000", help="comma-separated: demo or a number")
    parser.add_argument("--runs", type=int, default=2, help="counted runs per size (default 2)")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the uncounted first run (caches already warm)")
    parser.add_argument("--logs", type=Path, help="keep each run's log (the watchdog's stacks) here")
    parser.add_argument("--profile", action="store_true",
                        help="sample the GUI thread during stalls and print where the time went (adds overhead)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child, args.out, args.profile)
    sizes = [0 if s.strip() == "demo" else int(s) for s in args.sizes.split(",")]
    prepare_templates(sizes)
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix="fidus-stalls-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"FIDUS Desktop UI stalls: watchdog heartbeat 10 ms, stalls over {THRESHOLD_MS} ms recorded; "
          f"goal < {GOAL_MS} ms ('!' marks a miss). Logs with stacks: {log_dir}")
    print(f"machine: {machine.describe()}; other work shares it")
    if not args.no_warm_up:
        run_child(0, log_dir, "warm-up")  # the demo fund: quick, and it runs every step
    for size in sizes:
        runs = [run_child(size, log_dir, f"{size}-{n}", args.profile) for n in range(args.runs)]
        print_scale(size, runs, args.profile)
        print(f"  machine now: {machine.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

