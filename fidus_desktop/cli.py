"""``fidus-desktop``: the window by default, headless subcommands otherwise.

Qt is imported only when a window is wanted, so ``fidus-desktop migrate ...`` runs on a server
without a display and starts fast.
"""

from __future__ import annotations

import time

#: Reference point of the startup timings printed by ``--smoke`` (interpreter start is not
#: measurable portably; the benchmark adds it by timing the whole process from outside).
STARTED = time.perf_counter()

import argparse  # noqa: E402 (after the clock on purpose)
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

from .paths import HOME_ENV  # noqa: E402


@dataclass
class StartupClock:
    """Seconds since :data:`STARTED` at named points (``first_paint``) and named durations."""

    started: float = STARTED
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, time.perf_counter() - self.started)

    def record(self, name: str, seconds: float) -> None:
        self.marks[name] = seconds

    def line(self, names: Sequence[str] = ("imports", "store_open", "first_paint", "total")) -> str:
        return "timings: " + " ".join(f"{n}={self.marks[n]:.3f}s" for n in names if n in self.marks)


def mongo_uri(text: str) -> str:
    """An argparse type for ``--mongo-uri``: anything else would be read as a file path (and a
    SQLite file created under that name). The message never repeats the value (a password)."""
    if not text.strip().startswith(("mongodb://", "mongodb+srv://")):
        raise argparse.ArgumentTypeError("not a MongoDB address: it must start with mongodb:// or mongodb+srv://")
    return text


@dataclass(frozen=True)
class LaunchOptions:
    mongo_uri: str | None = None
    database: str | None = None
    demo: bool = False
    smoke: bool = False
    #: Investments of the throwaway demo fund (``--demo-size N``); 0: the usual demo.
    demo_size: int = 0


def build_parser() -> argparse.ArgumentParser:
    from .commands import add_commands

    parser = argparse.ArgumentParser(
        prog="fidus-desktop", description="FIDUS Desktop: the fund manager's cockpit.",
        epilog="Without a command, the window opens.")
    parser.add_argument("--smoke", action="store_true",
                        help="start offscreen, open every panel, print timings and exit (0 = healthy)")
    parser.add_argument("--demo", action="store_true",
                        help="run on a throwaway copy of the demo fund, deleted on exit")
    parser.add_argument("--demo-size", metavar="N", type=_positive_size, default=0,
                        help="with a throwaway demo fund of N investments (about 10 payments each, N prospects, "
                             "N/5 clients), to try the app at scale; implies --demo")
    parser.add_argument("--mongo-uri", metavar="URI", type=mongo_uri,
                        help="use this MongoDB for this session only (never saved)")
    parser.add_argument("--database", metavar="NAME", help="MongoDB database name (default from settings)")
    parser.add_argument("--data-dir", metavar="DIR", type=Path,
                        help=f"keep settings, data and logs under DIR (same as {HOME_ENV}=DIR)")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_commands(subparsers)
    return parser


def _positive_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of investments: {text!r}") from None
    if not 1 <= size <= 1_000_000:
        raise argparse.ArgumentTypeError("give between 1 and 1,000,000 investments")
    return size


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo_size:
        args.demo = True
    if args.demo and args.data_dir:
        parser.error("--demo uses a throwaway folder; it cannot be combined with --data-dir")
    if args.mongo_uri:
        from .app_context import register_uri_secret

        register_uri_secret(args.mongo_uri)  # before anything could log it
    demo_home = None
    if args.demo:
        demo_home = Path(tempfile.mkdtemp(prefix="fidus-demo-"))
        os.environ[HOME_ENV] = str(demo_home)
    elif args.data_dir:
        os.environ[HOME_ENV] = str(args.data_dir.expanduser().resolve())
    try:
        run = getattr(args, "run", None)
        if run is not None:
            return run(args)
        return _run_window(args)
    finally:
        if demo_home is not None:
            shutil.rmtree(demo_home, ignore_errors=True)


def _run_window(args: argparse.Namespace) -> int:
    if args.smoke:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    clock = StartupClock()
    from .paths import AppPaths

    try:
        from ui.app import run_gui
    except ImportError as exc:  # a broken install: say what is missing instead of a traceback
        print(f"fidus-desktop: the window cannot start: {exc}", file=sys.stderr)
        return 1
    clock.mark("imports")
    options = LaunchOptions(args.mongo_uri, args.database, args.demo, args.smoke, args.demo_size)
    return run_gui(AppPaths.default(), options, clock)


if __name__ == "__main__":
    sys.exit(main())
