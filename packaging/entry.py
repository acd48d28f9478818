"""Entry script of the PyInstaller build: the package's own ``__main__`` uses relative imports,
which a frozen top-level script cannot."""

from fidus_desktop.cli import main

raise SystemExit(main())
