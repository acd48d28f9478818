"""Where the embedded fund's file may live: not on a network drive, not in a synced folder.

SQLite's write-ahead log (WAL) keeps an index in shared memory beside the file, which works only
when every process using the file runs on one computer: on a network share (SMB, NFS) WAL is
unsafe and two computers can damage the fund. Sync tools (OneDrive, Dropbox, iCloud, Google
Drive) copy ``fund.sqlite3`` and its ``-wal`` file at different moments, so the copy elsewhere
(and after a conflict, this one) can be a database that never existed.

:func:`assess_location` says whether a path is such a place; the runtime then opens the fund
without WAL (a rollback journal: one file while no transaction runs), says why, and offers to
move the fund (:mod:`.relocate`). What the operating system reports is behind :class:`Volumes`
so tests can play a network drive or a drive labelled "Google Drive".
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Literal, Protocol

#: File systems that live on another computer (``/proc/mounts`` names).
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smbfs", "smb3", "afs", "9p", "fuse.sshfs", "sshfs",
                                 "ncpfs", "davfs", "fuse.davfs2", "glusterfs", "ceph", "fuse.rclone"})
#: Windows environment variables naming OneDrive folders.
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveConsumer", "OneDriveCommercial")
#: ``GetDriveTypeW``: DRIVE_REMOTE.
DRIVE_REMOTE = 4


class Volumes(Protocol):
    """What the operating system says about the volume holding a path."""

    def is_network(self, path: Path) -> bool: ...

    def label(self, path: Path) -> str: ...


@dataclass(frozen=True, slots=True)
class LocationRisk:
    kind: Literal["network", "synced"]
    #: "a network drive", "OneDrive", "Dropbox"...
    where: str
    path: Path

    @property
    def message(self) -> str:
        if self.kind == "network":
            why = ("is on a network drive: SQLite's write-ahead log does not work there, and two computers "
                   "writing it can damage the fund")
        else:
            why = (f"is in a folder {self.where} synchronises: it copies the database and its journal at "
                   "different moments, which can damage the fund")
        return (f"The fund file {self.path} {why}. FIDUS Desktop opened it without the write-ahead log; move "
                "the fund to a folder on this computer that is not synchronised (Move the fund…), or share "
                "the fund through MongoDB.")


def _synced_by(path: Path, env: Mapping[str, str]) -> str:
    text = str(path)
    for variable in ONEDRIVE_VARIABLES:
        root = env.get(variable, "")
        if root and _is_under(text, root):
            return "OneDrive"
    parts = [p.casefold() for p in PureWindowsPath(text).parts] if "\\" in text else \
        [p.casefold() for p in path.parts]
    for part in parts:
        if part == "onedrive" or part.startswith("onedrive - ") or part.startswith("onedrive-"):
            return "OneDrive"
        if part == "dropbox" or part.startswith("dropbox ("):
            return "Dropbox"
        if part in ("icloud drive", "iclouddrive", "mobile documents", "com~apple~clouddocs"):
            return "iCloud"
        if part in ("google drive", "my drive", "googledrive", "shared drives") or part.startswith("googledrive-"):
            return "Google Drive"
        if part == "cloudstorage":  # macOS: ~/Library/CloudStorage/<provider>-<account>
            return "a cloud storage service"
    return ""


def _is_under(path: str, root: str) -> bool:
    norm = os.path.normcase(os.path.normpath(path)).casefold()
    base = os.path.normcase(os.path.normpath(root)).casefold().rstrip("\\/")
    return norm == base or norm.startswith(base + "\\") or norm.startswith(base + "/")


def assess_location(path: Path, volumes: Volumes | None = None, env: Mapping[str, str] | None = None) -> LocationRisk | None:
    """Why the fund file should not live at ``path`` (``None``: it may)."""
    volumes = volumes or system_volumes()
    env = os.environ if env is None else env
    text = str(path)
    if text.startswith(("\\\\", "//")) or volumes.is_network(path):
        return LocationRisk("network", "a network drive", path)
    if service := _synced_by(path, env):
        return LocationRisk("synced", service, path)
    label = volumes.label(path).casefold()
    if "google drive" in label or label == "googledrivefs":
        return LocationRisk("synced", "Google Drive", path)
    return None


# ---- what the operating system says ----------------------------------------------------------


class WindowsVolumes:
    def _root(self, path: Path) -> str:
        anchor = PureWindowsPath(str(path.absolute())).anchor
        return anchor if anchor.endswith("\\") else anchor + "\\"

    def is_network(self, path: Path) -> bool:
        import ctypes

        return ctypes.windll.kernel32.GetDriveTypeW(self._root(path)) == DRIVE_REMOTE  # type: ignore[attr-defined]

    def label(self, path: Path) -> str:
        import ctypes

        name = ctypes.create_unicode_buffer(261)
        filesystem = ctypes.create_unicode_buffer(261)
        ok = ctypes.windll.kernel32.GetVolumeInformationW(  # type: ignore[attr-defined]
            self._root(path), name, 261, None, None, None, filesystem, 261)
        return f"{name.value} {filesystem.value}".strip() if ok else ""


class MountTable:
    """Linux: the mount holding a path, from ``/proc/self/mounts`` (longest matching mount point)."""

    def __init__(self, mounts: Path = Path("/proc/self/mounts")) -> None:
        self._mounts = mounts

    def _mount(self, path: Path) -> tuple[str, str]:
        try:
            lines = self._mounts.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "", ""
        target = str(path.absolute())
        best = ("", "", "")
        for line in lines:
            fields = line.split()
            if len(fields) < 3:
                continue
            point = fields[1].replace("\\040", " ")
            inside = target == point or target.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best[0]):
                best = (point, fields[2], fields[0])
        return best[1], best[2]

    def is_network(self, path: Path) -> bool:
        return self._mount(path)[0] in NETWORK_FILESYSTEMS

    def label(self, path: Path) -> str:
        kind, device = self._mount(path)
        return device if kind.startswith("fuse") else ""


class NoVolumes:
    def is_network(self, path: Path) -> bool:
        return False

    def label(self, path: Path) -> str:
        return ""


def system_volumes() -> Volumes:
    if sys.platform == "win32":
        return WindowsVolumes()
    if sys.platform.startswith("linux"):
        return MountTable()
    return NoVolumes()  # macOS: iCloud and CloudStorage are found by their folders
