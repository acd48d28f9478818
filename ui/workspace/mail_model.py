"""The message list: a window onto the local copy, read a page at a time as the manager scrolls.

Not the shared ``KeyedTableModel``: a mailbox is a cursor, not a table to sort. Lines come from
the cache newest first (``list_messages`` with a ``(date, id)`` cursor), the first page when a
label is opened, the next ones through Qt's ``canFetchMore``/``fetchMore`` as the view nears
the end; each page is read in the cache's thread and appended in one step, so 10,000 cached
messages open as fast as 100, and scrolling never waits on the rest. A search result or the
outbox is a fixed list (:meth:`MailListModel.set_rows`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

if TYPE_CHECKING:
    from fidus_desktop.storage.google_cache import CachedMessage
    from ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
#: Lines read per page (a few screens).
PAGE = 200
COLUMNS = ("From", "Subject", "Date", "")
type PageLoader = Callable[[tuple[datetime, str] | None, int], Awaitable[Sequence[Any]]]


def _when(moment: datetime) -> str:
    local = moment.astimezone()
    return local.strftime("%H:%M") if local.date() == _today() else local.strftime("%Y-%m-%d")


def _today() -> date:
    return datetime.now().astimezone().date()


class MailListModel(QAbstractTableModel):
    #: Emitted on the GUI thread when a page was appended (the first one: the list is shown).
    page_loaded = Signal(int)

    def __init__(self, tasks: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.rows: list[Any] = []
        self._loader: PageLoader | None = None
        self._more = False
        self._loading = False
        self._generation = 0
        self._texts: dict[int, tuple[str, ...]] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    # ---- feeding -----------------------------------------------------------------------------

    def open(self, loader: PageLoader) -> None:
        """Show a label: its first page now, the rest as the view scrolls."""
        self._generation += 1
        self.beginResetModel()
        self.rows, self._loader, self._more, self._loading = [], loader, True, False
        self._texts.clear()
        self.endResetModel()
        self._load()

    def set_rows(self, rows: Sequence[Any]) -> None:
        """A fixed list (search results, the outbox, drafts): no more pages."""
        self._generation += 1
        self.beginResetModel()
        self.rows, self._loader, self._more, self._loading = list(rows), None, False, False
        self._texts.clear()
        self.endResetModel()
        self.page_loaded.emit(len(self.rows))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802 (Qt's name)
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self._load()

    def _load(self) -> None:
        if self._loader is None:
            return
        self._loading = True
        generation = self._generation
        last = self.rows[-1] if self.rows else None
        cursor = (last.internal_date, last.id) if last is not None and hasattr(last, "internal_date") else None
        self._tasks.run(self._loader(cursor, PAGE), name="read the mail list",
                        on_success=lambda page: self._append(generation, page),
                        on_failure=lambda exc: self._failed(generation, exc))

    def _append(self, generation: int, page: Sequence[Any]) -> None:
        if generation != self._generation:
            return  # another label was opened meanwhile
        self._loading = False
        self._more = len(page) >= PAGE
        if page:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()
        self.page_loaded.emit(len(self.rows))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            self._more = False
            self._tasks.report(exc, "reading the mail list")

    # ---- reading -------------------------------------------------------------------------------

    def row(self, position: int) -> Any:
        return self.rows[position]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every cell painted: plain ints compared first, nothing else done.
        if role == _DISPLAY:
            position = index.row()
            texts = self._texts.get(position)
            if texts is None:  # formatted once per line
                line = self.rows[position]
                texts = self._texts[position] = tuple(line_text(line, c) for c in range(len(COLUMNS)))
            return texts[index.column()]
        if role == _FONT:
            return self._bold if getattr(self.rows[index.row()], "unread", False) else None
        if role == _TOOLTIP and index.column() == 3:
            return getattr(self.rows[index.row()], "reason", "") or None
        return None


_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value


def _name(sender: str) -> str:
    """``Ana Client`` for ``Ana Client <ana@example.com>``; the address when there is no name."""
    head, bracket, _rest = sender.partition("<")
    if bracket and head.strip() and '"' not in head and "," not in head:  # the common shape, cheaply
        return head.strip()
    name, address = parseaddr(sender)
    return name or address or sender


def line_text(line: Any, column: int) -> str:
    """A list line's columns: a cached message, or a mail waiting in the outbox."""
    if hasattr(line, "internal_date"):  # CachedMessage
        m: CachedMessage = line
        return (_name(m.sender), m.subject or "(no subject)", _when(m.internal_date),
                "📎" if m.has_attachments else "")[column]
    if hasattr(line, "review_key"):  # Draft
        when = _when(line.saved_at) if line.saved_at else ""
        return (f"To: {line.to}" if line.to else "(no recipient)", line.subject or "(no subject)", when, "draft")[column]
    state = "needs your attention" if line.held else "waiting to send"
    return (f"To: {line.to}", line.subject or "(no subject)", _when(line.queued_at), state)[column]
