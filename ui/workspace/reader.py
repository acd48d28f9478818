"""The mail reader: sanitised HTML in a ``QTextBrowser`` that loads nothing by itself.

* The HTML is the sanitiser's output (:mod:`fidus_desktop.google.html_safety`): no scripts,
  forms, frames, event handlers, remote images or CSS ``url()``. ``QTextBrowser`` runs no
  script anyway; what it could still do is *load*: ``<img>`` sources and style sheets through
  :meth:`MailBrowser.loadResource`, and, by default, files from disk. Here ``loadResource``
  never calls the default: it answers only images the message resolves (``cid:`` parts already
  fetched, small ``data:`` images) and, once the manager allowed remote content, remote images
  fetched beforehand in the I/O lane. Everything else gets nothing.
* Links never open by themselves: hovering shows the real target under the text, a click asks
  "open <real target> in your browser?", and only http(s) and mailto targets can be opened.
* The remote-content bar (as Thunderbird's) says how many remote items were blocked and offers
  to show them for this message or always for this sender.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QTextBrowser, QVBoxLayout,
                               QWidget)

from fidus_desktop.google.html_safety import SafeHtml, link_target, resource_allowed, sanitize_mail_html, text_as_html
from fidus_desktop.google.mail_parse import MailMessage, content_id_key


class MailBrowser(QTextBrowser):
    """A ``QTextBrowser`` whose only resources are the ones given to it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setSearchPaths([])
        self.setReadOnly(True)
        self.cids: frozenset[str] = frozenset()
        self.allow_remote = False
        self._images: dict[str, bytes] = {}
        #: Every resource the document asked for, and the ones answered (tests read them).
        self.requests: list[str] = []
        self.served: list[str] = []

    def set_resources(self, images: dict[str, tuple[str, bytes]], remote: dict[str, bytes] | None = None, *,
                      allow_remote: bool = False) -> None:
        """``images``: cid -> (type, bytes) of the message's inline parts; ``remote``: url -> bytes."""
        self._images = {content_id_key(cid): data for cid, (_mime, data) in images.items()}
        self._remote = dict(remote or {})
        self.cids = frozenset(self._images)
        self.allow_remote = allow_remote

    def loadResource(self, kind: int, url: QUrl | str):  # noqa: N802, ANN201 (Qt's name; QImage or None)
        # Never "nothing": for an empty answer QTextDocument would try the URL as a local file
        # itself (and decode data: URLs), so a refusal is an answer, a blank one.
        text = url.toString() if isinstance(url, QUrl) else str(url)
        self.requests.append(text)
        if int(kind) != QTextDocument.ResourceType.ImageResource.value:
            return ""  # style sheets, markdown, anything but an image: never loaded
        if not resource_allowed(text, self.cids, allow_remote=self.allow_remote):
            return _blank()
        lowered = text.strip().lower()
        data: bytes | None
        if lowered.startswith("cid:"):
            data = self._images.get(content_id_key(text))
        elif lowered.startswith("data:"):
            try:
                data = base64.b64decode(text.partition(",")[2], validate=False)
            except (binascii.Error, ValueError):
                data = None
        else:
            data = self._remote.get(text)
        image = QImage.fromData(data) if data else QImage()
        if image.isNull():
            return _blank()
        self.served.append(text)
        return image


def _blank() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(0)
    return image


#: The reader shows at most this much of a body, as Gmail's own view clips at 102 KB: laying out
#: more holds the window (40,000 tiny paragraphs take QTextDocument a third of a second).
READER_MAX_CHARS = 102_400


def safe_body(message: MailMessage, *, allow_remote: bool = False) -> SafeHtml:
    """The body as the reader shows it: sanitised HTML, or the text as HTML, cut to a size the
    window can lay out. Pure and thread-safe: run it in the cpu lane for anything sizeable."""
    if message.html:
        cut = len(message.html) > READER_MAX_CHARS
        safe = sanitize_mail_html(message.html[:READER_MAX_CHARS], allow_remote=allow_remote)
    else:
        cut = len(message.text) > READER_MAX_CHARS
        safe = SafeHtml(text_as_html(message.text[:READER_MAX_CHARS]), 0, frozenset())
    if cut:
        note = (f"<p><i>This message is long: the first {READER_MAX_CHARS:,} characters are shown. Open it in "
                "Gmail for the rest.</i></p>")
        safe = SafeHtml(safe.html + note, safe.blocked_remote, safe.cid_refs)
    return safe


class MailReader(QWidget):
    """One message: headers, the remote-content bar, the body, the link target line."""

    #: (message, for the sender too) when the manager asks to show remote content.
    remote_requested = Signal(object, bool)

    def __init__(self, parent: QWidget | None = None, *, confirm_link: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.message: MailMessage | None = None
        self.safe: SafeHtml | None = None
        self.header = QLabel("", self)
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.remote_bar = QFrame(self)
        self.remote_bar.setObjectName("banner")
        self.remote_bar.setProperty("level", "warning")
        bar = QHBoxLayout(self.remote_bar)
        bar.setContentsMargins(10, 4, 4, 4)
        self.remote_text = QLabel("", self.remote_bar)
        self.remote_text.setWordWrap(True)
        self.show_once = QPushButton("Show for this message", self.remote_bar)
        self.show_sender = QPushButton("Always for this sender", self.remote_bar)
        for widget in (self.remote_text, self.show_once, self.show_sender):
            bar.addWidget(widget, 1 if widget is self.remote_text else 0)
        self.show_once.clicked.connect(lambda: self._ask_remote(False))
        self.show_sender.clicked.connect(lambda: self._ask_remote(True))
        self.remote_bar.hide()
        self.browser = MailBrowser(self)
        self.link_line = QLabel("", self)
        self.link_line.setObjectName("emptyNote")
        self.link_line.setTextFormat(Qt.TextFormat.PlainText)
        self.link_line.hide()
        self.browser.highlighted.connect(self._hovered)
        self.browser.anchorClicked.connect(self._clicked)
        self._confirm = confirm_link or self.confirm_link
        self.link_box: QMessageBox | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.header, self.remote_bar, self.browser, self.link_line):
            layout.addWidget(widget, 1 if widget is self.browser else 0)

    def show_message(self, message: MailMessage, images: dict[str, tuple[str, bytes]] | None = None, *,
                     allow_remote: bool = False, remote: dict[str, bytes] | None = None,
                     safe: SafeHtml | None = None) -> SafeHtml:
        """Show ``message``; ``safe``: its body already made safe (:func:`safe_body`, in a lane),
        else it is made here (small messages, tests)."""
        self.message = message
        safe = safe or safe_body(message, allow_remote=allow_remote)
        self.safe = safe
        when = message.internal_date.astimezone().strftime("%Y-%m-%d %H:%M") if message.internal_date else message.date
        lines = [f"From: {message.sender}", f"To: {message.to}"]
        if message.cc:
            lines.append(f"Cc: {message.cc}")
        lines += [f"Date: {when}", f"Subject: {message.subject}"]
        self.header.setText("\n".join(lines))
        self.browser.set_resources(images or {}, remote, allow_remote=allow_remote)
        self.browser.clear()
        self.browser.setHtml(safe.html)
        blocked = safe.blocked_remote
        self.remote_bar.setVisible(bool(blocked) and not allow_remote)
        if blocked:
            self.remote_text.setText(f"To protect your privacy, FIDUS blocked {blocked} remote item"
                                     f"{'s' if blocked != 1 else ''} in this message.")
            self.show_sender.setText(f"Always for {message.sender_address or 'this sender'}")
        self.link_line.setText("")
        self.link_line.hide()
        return safe

    def clear_message(self) -> None:
        self.message = None
        self.header.setText("")
        self.browser.clear()
        self.remote_bar.hide()

    def _ask_remote(self, sender: bool) -> None:
        if self.message is not None:
            self.remote_requested.emit(self.message, sender)

    def _hovered(self, url: QUrl) -> None:
        text = url.toString()
        self.link_line.setVisible(bool(text))
        if not text:
            self.link_line.setText("")
            return
        target = link_target(text)
        self.link_line.setText(f"Link: {target}" if target else f"Link (cannot be opened): {text[:200]}")

    def _clicked(self, url: QUrl) -> None:
        self._confirm(url.toString())

    def confirm_link(self, href: str) -> QMessageBox:
        """Show the real target first; open it in the system browser only when confirmed."""
        target = link_target(href)
        if target is None:
            box = QMessageBox(QMessageBox.Icon.Warning, "Link not opened",
                              f"This link cannot be opened from a mail:\n\n{href[:300]}",
                              QMessageBox.StandardButton.Close, self)
        else:
            box = QMessageBox(QMessageBox.Icon.Question, "Open link",
                              f"Open this address in your browser?\n\n{target}",
                              QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel, self)
            box.buttonClicked.connect(lambda button: box.standardButton(button) == QMessageBox.StandardButton.Open
                                      and QDesktopServices.openUrl(QUrl(target)))
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.link_box = box
        box.open()
        return box
