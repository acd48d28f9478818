"""``python -m fidus_desktop``: the same as the ``fidus-desktop`` command."""

import sys

from .cli import main

sys.exit(main())
