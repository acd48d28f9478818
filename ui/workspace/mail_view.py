"""Gmail in the Workspace panel: labels, the list (from the local copy), search, threads, the
reader, attachments, compose / reply / forward, the outbox ("waiting to send") and drafts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSplitter, QTableView, QVBoxLayout,
                               QWidget)

from fidus_desktop.google import drafts as draft_store
from fidus_desktop.google import mailbox
from fidus_desktop.google.mail_outbox import QueuedMail, queued_mails
from fidus_desktop.google.mail_parse import MailMessage

from .compose import ComposeDialog, forward_draft, reply_draft
from .mail_model import MailListModel
from .reader import MailReader

if TYPE_CHECKING:
    from fidus_desktop.app_context import AppContext
    from fidus_desktop.services.google_service import GoogleService
    from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

OUTBOX, DRAFTS = "fidus:outbox", "fidus:drafts"
_SYSTEM = (("INBOX", "Inbox"), ("STARRED", "Starred"), ("IMPORTANT", "Important"), ("SENT", "Sent"),
           ("UNREAD", "Unread"), ("SPAM", "Spam"), ("TRASH", "Trash"))
LABELS_NOTE = "gmail.labels"


class MailView(QWidget):
    def __init__(self, context: AppContext, tasks: TaskRunner, service: GoogleService,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context, self.tasks, self.service = context, tasks, service
        self.label = "INBOX"
        self.query = ""
        self.thread: list[MailMessage] = []
        self.message: MailMessage | None = None
        self.allowed_messages: set[str] = set()
        self.compose_windows: list[ComposeDialog] = []
        self._selected_id = ""
        #: The first lines are shown (what start-up and the smoke run wait for).
        self.loaded = False

        self.labels = QListWidget(self)
        self.labels.setMaximumWidth(190)
        self.labels.currentItemChanged.connect(self._label_chosen)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search mail (Gmail search: from:ana has:attachment)")
        self.search.returnPressed.connect(self.run_search)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: text or self.query and self.clear_search())
        compose = QPushButton("Compose", self)
        compose.clicked.connect(lambda: self.compose())
        self.list_state = QLabel("", self)
        self.list_state.setObjectName("emptyNote")
        self.model = MailListModel(tasks, self)
        self.model.page_loaded.connect(self._page_loaded)
        self.list = QTableView(self)
        self.list.setModel(self.model)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.verticalHeader().hide()
        self.list.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.list.verticalHeader().setDefaultSectionSize(22)
        header = self.list.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 150)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # Fixed widths: fitting a column to its contents would format every line read so far.
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, 84)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(3, 26)
        self.list.selectionModel().currentRowChanged.connect(lambda current, _prev: self._line_chosen(current.row()))

        self.thread_list = QListWidget(self)
        self.thread_list.setMaximumHeight(90)
        self.thread_list.currentRowChanged.connect(self._thread_message_chosen)
        self.reader = MailReader(self)
        self.reader.remote_requested.connect(self.allow_remote)
        self.files = QListWidget(self)
        self.files.setMaximumHeight(60)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.actions_row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("reply", "Reply", lambda: self.reply(False)), ("reply_all", "Reply all",
                                lambda: self.reply(True)), ("forward", "Forward", self.forward),
                                ("save", "Save attachments…", self.save_attachments),
                                ("retry", "Send now", self.retry_queued), ("discard", "Drop from outbox",
                                                                            self.discard_queued),
                                ("open_draft", "Continue writing", self.open_draft)):
            button = QPushButton(text, self)
            button.clicked.connect(slot)
            self.buttons[key] = button
            self.actions_row.addWidget(button)
        self.actions_row.addStretch(1)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(compose)
        middle = QWidget(self)
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(top)
        column.addWidget(self.list, 1)
        column.addWidget(self.list_state)
        right = QWidget(self)
        reading = QVBoxLayout(right)
        reading.setContentsMargins(0, 0, 0, 0)
        reading.addWidget(self.thread_list)
        reading.addWidget(self.reader, 1)
        reading.addWidget(self.files)
        reading.addLayout(self.actions_row)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        for widget in (self.labels, middle, right):
            splitter.addWidget(widget)
        splitter.setStretchFactor(1, 2)
        splitter.setStretchFactor(2, 3)
        splitter.setSizes([140, 600, 660])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.save_dialog: QFileDialog | None = None
        self.thread_list.hide()
        self.files.hide()
        self._show_labels([])
        self._update_buttons()

    @property
    def account(self) -> str:
        return self.service.account_email

    # ---- labels -------------------------------------------------------------------------------------

    def load(self) -> None:
        """Open the current label from the copy at once; labels from the copy, then from Gmail."""
        self.open_label(self.label)
        cache = self.context.cache
        if cache is not None:
            self.tasks.run(cache.google.get_note(LABELS_NOTE, self.account), name="read the labels",
                           on_success=lambda note: self._show_labels((note or {}).get("labels") or []))
        self.tasks.run(self._fetch_labels(), name="read the Gmail labels", on_success=self._show_labels,
                       on_failure=lambda exc: log.info("labels not refreshed: %s", exc))

    async def _fetch_labels(self) -> list[dict[str, Any]]:
        labels = await self.service.do(lambda g: g.gmail.labels())
        found = [{"id": x.id, "name": x.name, "type": x.type} for x in labels if x.type == "user"]
        if self.context.cache is not None:
            await self.context.cache.google.put_note(LABELS_NOTE, self.account, {"labels": found})
        return found

    def _show_labels(self, user_labels: list[dict[str, Any]]) -> None:
        self.labels.blockSignals(True)
        self.labels.clear()
        for label_id, name in [*_SYSTEM, *((x["id"], x["name"]) for x in user_labels), (OUTBOX, "Outbox"),
                               (DRAFTS, "Drafts")]:
            item = QListWidgetItem(name, self.labels)
            item.setData(Qt.ItemDataRole.UserRole, label_id)
            if label_id == self.label:
                self.labels.setCurrentItem(item)
        self.labels.blockSignals(False)

    def _label_chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            self.open_label(str(item.data(Qt.ItemDataRole.UserRole)))

    def open_label(self, label: str) -> None:
        self.label = label
        self.query = ""
        cache = self.context.cache
        self.reader.clear_message()
        self.thread_list.hide()
        self.files.hide()
        self.message = None
        if cache is None:
            self.list_state.setText("The local cache is not open: mail cannot be shown.")
            return
        if label == OUTBOX:
            self.tasks.run(queued_mails(cache), name="read the outbox", on_success=self.model.set_rows)
        elif label == DRAFTS:
            self.tasks.run(draft_store.drafts(cache, self.account), name="read the drafts",
                           on_success=self.model.set_rows)
        else:
            account = self.account
            self.model.open(lambda before, limit: cache.google.list_messages(account, label=label, limit=limit,
                                                                              before=before))

    def refresh(self, what: frozenset[str]) -> None:
        if self.query:
            return  # a search result stays until the manager clears it
        if ("outbox" in what and self.label == OUTBOX) or ("mail" in what and self.label not in (OUTBOX, DRAFTS)):
            self._selected_id = self.message.id if self.message else ""
            self.open_label(self.label)

    def _page_loaded(self, count: int) -> None:
        self.loaded = True
        where = {OUTBOX: "waiting to send", DRAFTS: "drafts"}.get(self.label, "messages on this computer")
        self.list_state.setText(f"{count} {where}" + ("" if not self.query else f" for '{self.query}'"))
        if self._selected_id:
            for row in range(self.model.rowCount()):
                if getattr(self.model.row(row), "id", None) == self._selected_id:
                    self.list.selectRow(row)
                    break
            self._selected_id = ""

    # ---- search ---------------------------------------------------------------------------------------

    def run_search(self) -> None:
        query = self.search.text().strip()
        if not query:
            self.clear_search()
            return
        self.query = query
        self.list_state.setText(f"Searching for '{query}'…")
        self.tasks.run(mailbox.search(self.service, query), name="search mail", on_success=self._searched)

    def _searched(self, result: mailbox.SearchResult) -> None:
        self.model.set_rows(result.messages)
        if result.local:
            self.list_state.setText(f"{len(result.messages)} found on this computer (Gmail did not answer: "
                                    f"{result.reason})")

    def clear_search(self) -> None:
        self.query = ""
        self.open_label(self.label)

    # ---- reading ----------------------------------------------------------------------------------------

    def _line_chosen(self, row: int) -> None:
        if row < 0 or row >= self.model.rowCount():
            return
        line = self.model.row(row)
        self._update_buttons(line)
        if isinstance(line, QueuedMail):
            self.reader.clear_message()
            self.reader.header.setText(f"To: {line.to}\nSubject: {line.subject}\n\n"
                                       f"{'Needs your attention' if line.held else 'Waiting to send'}"
                                       f"{': ' + line.reason if line.reason else '.'}")
            return
        if isinstance(line, draft_store.Draft):
            self.reader.clear_message()
            self.reader.header.setText(f"Draft to {line.to or '(nobody yet)'}\nSubject: {line.subject}")
            self.reader.browser.setPlainText(line.text)
            return
        self.tasks.run(mailbox.thread(self.service, line.thread_id), name="open the conversation",
                       on_success=lambda messages, wanted=line.id: self._show_thread(messages, wanted))

    def _show_thread(self, messages: list[MailMessage], wanted: str) -> None:
        self.thread = messages
        self.thread_list.blockSignals(True)
        self.thread_list.clear()
        for m in messages:
            when = m.internal_date.astimezone().strftime("%Y-%m-%d %H:%M") if m.internal_date else ""
            self.thread_list.addItem(f"{m.sender} — {when}")
        self.thread_list.setVisible(len(messages) > 1)
        position = next((i for i, m in enumerate(messages) if m.id == wanted), len(messages) - 1)
        self.thread_list.setCurrentRow(position)
        self.thread_list.blockSignals(False)
        if messages:
            self.show_message(messages[position])

    def _thread_message_chosen(self, row: int) -> None:
        if 0 <= row < len(self.thread):
            self.show_message(self.thread[row])

    def show_message(self, message: MailMessage) -> None:
        """The headers at once; the body once made safe in the cpu lane (a hostile mail can be
        megabytes), its inline images fetched, and remote content only if allowed."""
        self.message = message
        allowed = message.id in self.allowed_messages
        self.reader.clear_message()
        self.reader.message = message
        self.reader.header.setText(f"From: {message.sender}\nSubject: {message.subject}\n\nOpening…")
        self.files.clear()
        self.files.addItems([a.filename for a in message.attachments if not a.inline])
        self.files.setVisible(self.files.count() > 0)
        self._update_buttons(message)
        self.tasks.run(self._prepare(message, allowed), name="open the message",
                       on_success=lambda found: self._show_prepared(message, *found))

    async def _prepare(self, message: MailMessage, allowed: bool) -> tuple[Any, dict, bool, dict]:
        from fidus_desktop.google.remote_content import fetch_images, remote_images

        from .reader import safe_body

        cache = self.context.cache
        if not allowed and cache is not None and message.sender_address:
            allowed = await cache.google.remote_content_allowed(self.account, message.sender_address)
        safe = await self.context.lanes.cpu.run(lambda: safe_body(message, allow_remote=allowed),
                                                action="make the mail safe to show")
        self._show_prepared(message, safe, {}, allowed, {})  # the text now; images when they come
        images = await mailbox.inline_images(self.service, message) if message.resolved_cids else {}
        remote: dict[str, bytes] = {}
        if allowed and message.html:
            urls = remote_images(safe.html)
            if urls:
                remote = await self.context.lanes.io.run(lambda: fetch_images(urls), action="remote images")
        return safe, images, allowed, remote

    def _show_prepared(self, message: MailMessage, safe: Any, images: dict, allowed: bool, remote: dict) -> None:
        if self.message is message and (safe is not self.reader.safe or images or remote):
            self.reader.show_message(message, images, allow_remote=allowed, remote=remote, safe=safe)

    def allow_remote(self, message: MailMessage, for_sender: bool) -> None:
        self.allowed_messages.add(message.id)
        cache = self.context.cache
        if for_sender and cache is not None and message.sender_address:
            self.tasks.run(cache.google.allow_remote_content(self.account, message.sender_address),
                           name="allow remote content")
        if self.message is message:
            self.show_message(message)

    def save_attachments(self) -> QFileDialog | None:
        message = self.message
        if message is None:
            return None
        wanted = {i.text() for i in self.files.selectedItems()} or {a.filename for a in message.attachments}
        refs = [a for a in message.attachments if not a.inline and a.filename in wanted]
        dialog = QFileDialog(self, "Save the attachments in")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda folder: self.save_into(message, refs, Path(folder)))
        self.save_dialog = dialog
        dialog.open()
        return dialog

    def save_into(self, message: MailMessage, refs: list[Any], folder: Path) -> None:
        async def work() -> list[Path]:
            return [await self.service.do(lambda g, r=ref: g.gmail.save_attachment(message, r, folder)) for ref in refs]

        self.tasks.run(work(), name="save the attachments",
                       on_success=lambda paths: self.list_state.setText(
                           f"Saved {', '.join(p.name for p in paths)} in {folder}"))

    # ---- writing ---------------------------------------------------------------------------------------

    def compose(self, draft: draft_store.Draft | None = None) -> ComposeDialog:
        dialog = ComposeDialog(self.context, self.tasks, draft or draft_store.Draft(draft_store.new_key(self.account)),
                               self)
        self.compose_windows = [w for w in self.compose_windows if w.isVisible()] + [dialog]
        dialog.show()
        return dialog

    def reply(self, everyone: bool) -> ComposeDialog | None:
        return self.compose(reply_draft(self.message, self.account, reply_all=everyone)) if self.message else None

    def forward(self) -> ComposeDialog | None:
        return self.compose(forward_draft(self.message, self.account)) if self.message else None

    def open_draft(self) -> ComposeDialog | None:
        line = self._current_line()
        return self.compose(line) if isinstance(line, draft_store.Draft) else None

    def _current_line(self) -> Any:
        index = self.list.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    def retry_queued(self) -> None:
        line = self._current_line()
        if isinstance(line, QueuedMail) and self.service.outbox is not None:
            self.tasks.run(self.service.outbox.retry(line.item_id), name="send the mail now")

    def discard_queued(self) -> None:
        line = self._current_line()
        if isinstance(line, QueuedMail) and self.service.outbox is not None:
            self.tasks.run(self.service.outbox.discard(line.item_id), name="drop the mail",
                           on_success=lambda _: self.open_label(OUTBOX))

    def _update_buttons(self, line: Any = None) -> None:
        mail = isinstance(line, MailMessage) or (line is not None and hasattr(line, "internal_date"))
        queued, draft = isinstance(line, QueuedMail), isinstance(line, draft_store.Draft)
        for key in ("reply", "reply_all", "forward"):
            self.buttons[key].setVisible(mail)
        self.buttons["save"].setVisible(mail and bool(self.message and any(not a.inline for a in
                                                                           self.message.attachments)))
        self.buttons["retry"].setVisible(queued)
        self.buttons["discard"].setVisible(queued)
        self.buttons["open_draft"].setVisible(draft)
