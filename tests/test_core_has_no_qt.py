"""The core (``fidus_desktop``) must work without Qt: every fund rule is testable headless and
usable from the CLI and the bridge server. Checked twice: statically, so an import hidden in a
function body is caught too, and by importing every module with Qt made unimportable, so an
indirect import through another package is caught as well.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "fidus_desktop"
#: Qt itself, Qt-based libraries, and our own Qt front end.
FORBIDDEN = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph", "qasync", "pytestqt", "ui")
#: Core modules allowed to import the front end (never Qt itself) inside a function, with why.
LAUNCHERS = {"fidus_desktop/cli.py": "the fidus-desktop command opens the window when asked to"}

_IMPORT_ALL = r"""
import importlib, importlib.abc, json, pkgutil, sys

FORBIDDEN = set(sys.argv[1].split(","))

class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            raise ImportError(f"{name} imported by the Qt-free core")
        return None

sys.meta_path.insert(0, BlockQt())
import fidus_desktop
failures = {}
for info in pkgutil.walk_packages(fidus_desktop.__path__, "fidus_desktop."):
    if info.name.rsplit(".", 1)[-1] == "__main__":  # runs the app when imported
        continue
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failures[info.name] = f"{type(exc).__name__}: {exc}"
loaded = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)
print(json.dumps({"failures": failures, "loaded": loaded}))
"""


def forbidden_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(CORE.parent).as_posix()
    lazy = {id(inner) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for inner in ast.walk(fn)} if relative in LAUNCHERS else set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args and isinstance(node.args[0], ast.Constant)):
            names = [str(node.args[0].value)]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FORBIDDEN and not (top == "ui" and id(node) in lazy):
                found.append(f"{relative}:{node.lineno} imports {name}")
    return found


def test_no_core_module_names_qt_in_an_import() -> None:
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) > 20  # the walk really found the package
    offenders = [line for module in modules for line in forbidden_imports(module)]
    assert offenders == []


def test_every_core_module_imports_with_qt_unavailable() -> None:
    result = subprocess.run([sys.executable, "-c", _IMPORT_ALL, ",".join(FORBIDDEN)], cwd=CORE.parent,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"failures": {}, "loaded": []}


def test_the_check_itself_catches_a_qt_import(tmp_path: Path) -> None:
    sample = tmp_path / "fidus_desktop" / "sample.py"
    sample.parent.mkdir()
    sample.write_text("def later():\n    from PySide6.QtCore import QTimer\n    import ui.tasks\n")
    global CORE
    saved, CORE = CORE, tmp_path / "fidus_desktop"
    try:
        assert forbidden_imports(sample) == ["fidus_desktop/sample.py:2 imports PySide6.QtCore",
                                             "fidus_desktop/sample.py:3 imports ui.tasks"]
    finally:
        CORE = saved
