"""The layers stay apart: ``bridge_link`` (which ships alone to the bridge VPS) uses only the
core's foundation, never its services, storage, settings, demo fund or commands; the core never
imports the window (``tests/test_core_has_no_qt.py`` checks Qt itself). Checked on every import
statement, including those inside function bodies."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The core's foundation: what ``bridge_link`` may use.
FOUNDATION = {"fidus_desktop", "fidus_desktop.errors", "fidus_desktop.logs", "fidus_desktop.secrets",
              "fidus_desktop.lanes", "fidus_desktop.fileio", "fidus_desktop.domain", "fidus_desktop.domain.values"}


def imports(folder: str) -> list[tuple[str, int, str]]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                names = [base] if node.module else [f"{base}.{a.name}" for a in node.names]
            found += [(str(path.relative_to(ROOT)), node.lineno, name) for name in names]
    return found


def test_bridge_link_uses_only_the_cores_foundation():
    wrong = [(f, line, name) for f, line, name in imports("bridge_link")
             if name.startswith("fidus_desktop") and name not in FOUNDATION]
    assert wrong == [], "bridge_link must not reach into the desktop app: " + ", ".join(
        f"{f}:{line} imports {name}" for f, line, name in wrong)


def test_the_core_never_imports_the_window():
    launchers = {"fidus_desktop/cli.py"}  # opens the window when asked to, inside a function
    wrong = [(f, line, name) for f, line, name in imports("fidus_desktop")
             if (name == "ui" or name.startswith("ui.")) and f not in launchers]
    assert wrong == [], ", ".join(f"{f}:{line} imports {name}" for f, line, name in wrong)


def test_the_checker_sees_imports_inside_functions(tmp_path, monkeypatch):
    import sys

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def f():\n    from fidus_desktop.storage import store\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert imports("pkg") == [("pkg/mod.py", 2, "fidus_desktop.storage")]
