"""Where the app keeps its files (platformdirs), overridable for tests and throwaway demos."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .fileio import private_dir

APP_NAME = "fidus-desktop"
APP_AUTHOR = "FIDUS"
#: Points every directory below one folder: tests, ``--demo`` and portable installs use it.
HOME_ENV = "FIDUS_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        return cls(root / "config", root / "data", root / "cache", root / "logs")

    @classmethod
    def default(cls) -> AppPaths:
        if home := os.environ.get(HOME_ENV):
            return cls.under(Path(home))
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
            Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
            Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
            Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        )

    def ensure(self) -> AppPaths:
        """Create the four folders, readable by their owner only (0700 on POSIX; on Windows they
        are under the user's profile, private to that user by the platform's defaults)."""
        for path in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            private_dir(path)
        return self

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def fund_db(self) -> Path:
        return self.data_dir / "fund.sqlite3"

    @property
    def cache_db(self) -> Path:
        return self.cache_dir / "local-cache.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "fidus-desktop.log"
