"""One window per fund: a lock file in the data folder, and a hand-over to the running window.

Two copies on one fund fight over everything: the log file's rotation fails on Windows (WinError
32) and logging stops, two MT5 clients take turns logging the terminal in, the last settings
write wins. So the first start takes ``fidus-desktop.lock`` in the data folder (``QLockFile``: a
lock left by a process that died is recognised by its process id and taken over) and listens on
a local socket named after that folder; a second start on the same folder finds the lock held,
sends its command-line arguments to the first over the socket (``QLocalSocket``), which comes to
the front, and exits.

The socket's name is derived from the data folder and the user, so two funds (``--data-dir``) or
two users never meet; the server accepts connections from this user only.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from fidus_desktop.logs import redact

log = logging.getLogger(__name__)

LOCK_NAME = "fidus-desktop.lock"
#: A hand-over is a few hundred bytes; anything much bigger is not one.
MAX_MESSAGE = 64 * 1024
CONNECT_MS = 2000
ANSWER_MS = 5000


def server_name(data_dir: Path) -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment: the folder alone still separates funds
        user = ""
    folder = os.path.normcase(str(data_dir.absolute()))
    return "fidus-desktop-" + hashlib.sha256(f"{user}\0{folder}".encode()).hexdigest()[:24]


class SingleInstance(QObject):
    #: The arguments another start handed over (on the GUI thread).
    arguments_received = Signal(list)

    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.lock = QLockFile(str(data_dir / LOCK_NAME))
        # Never stale by age (a window may stay open for weeks); a dead holder is still detected
        # by its process id, on this host.
        self.lock.setStaleLockTime(0)
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None

    # ---- the first start ---------------------------------------------------------------------------

    def acquire(self) -> bool:
        """Take the fund's lock; ``False`` when another running window holds it."""
        if self.lock.tryLock(100):
            return True
        if self.lock.error() == QLockFile.LockError.LockFailedError:
            return False
        # PermissionError or an unknown error: the folder is read-only or odd. Running without the
        # lock is better than not starting; say so in the log.
        log.warning("the fund's lock file could not be taken (%s); starting without it", self.lock.error())
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # We hold the lock, so a server of that name is a dead window's leftover (Unix socket file).
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("no hand-over server: %s", server.errorString())
                return False
        server.newConnection.connect(lambda: self._accept(server))
        self._server = server
        return True

    def _accept(self, server: QLocalServer) -> None:
        while server.hasPendingConnections():
            socket = server.nextPendingConnection()
            buffer = bytearray()

            def read(socket: QLocalSocket = socket, buffer: bytearray = buffer) -> None:
                buffer.extend(bytes(socket.readAll().data()))
                if len(buffer) > MAX_MESSAGE:
                    socket.abort()
                    return
                if buffer.endswith(b"\n"):
                    self._handle(socket, bytes(buffer))

            socket.readyRead.connect(read)
            socket.disconnected.connect(socket.deleteLater)

    def _handle(self, socket: QLocalSocket, raw: bytes) -> None:
        try:
            message = json.loads(raw)
            argv = [str(a) for a in message["argv"]][:100]
        except (ValueError, KeyError, TypeError):
            log.warning("an unreadable hand-over was ignored")
            socket.abort()
            return
        socket.write(b"ok\n")
        socket.flush()
        socket.disconnectFromServer()
        log.info("another start handed over: %s", redact(" ".join(argv)))
        self.arguments_received.emit(argv)

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.lock.unlock()

    # ---- a second start ------------------------------------------------------------------------------

    def hand_over(self, argv: Sequence[str]) -> bool:
        """Send ``argv`` to the running window; ``True`` once it said it got them."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return False
        socket.write(json.dumps({"argv": list(argv)}).encode() + b"\n")
        socket.flush()
        socket.waitForBytesWritten(CONNECT_MS)
        answered = socket.waitForReadyRead(ANSWER_MS) and bytes(socket.readAll().data()).startswith(b"ok")
        socket.disconnectFromServer()
        return bool(answered)

