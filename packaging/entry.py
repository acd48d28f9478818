"""Entry script of the PyInstaller build (both programs): the package's own ``__main__`` uses
relative imports, which a frozen top-level script cannot.

The windowed program has no console on Windows: ``sys.stdout`` and ``sys.stderr`` are ``None``,
and a command's first ``print`` would raise. There they go to nowhere, and a command asked of
the windowed program says, in a message box, to use ``fidus-desktop-cli`` instead.
"""

import os
import sys

WINDOWED = sys.stdout is None or sys.stderr is None

if WINDOWED:
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life
    sys.stderr = sys.stdout


def _command_asked(argv: list[str]) -> bool:
    from fidus_desktop.cli import build_parser

    try:
        args, _ = build_parser().parse_known_args(argv)
    except SystemExit:  # --help, or a mistake: only a console can show either
        return True
    return getattr(args, "run", None) is not None


if WINDOWED and _command_asked(sys.argv[1:]):
    import ctypes

    message = ("FIDUS Desktop's commands print their answers in a console: run them with "
               "fidus-desktop-cli.exe (in the same folder), e.g.  fidus-desktop-cli database use-mongodb")
    if sys.platform == "win32":
        ctypes.windll.user32.MessageBoxW(None, message, "FIDUS Desktop", 0x40)
    raise SystemExit(2)

from fidus_desktop.cli import main  # noqa: E402

raise SystemExit(main())
