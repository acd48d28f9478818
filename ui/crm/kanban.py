"""The pipeline as a board: one column per stage, cards drawn by a delegate, dragged between
columns or moved with the keyboard (Alt+Right / Alt+Left). Each column holds only the cards
it shows (the first page, more on request); its count and sum come from the core's index.

The board only renders and emits: ``move_requested(key, stage)``, ``create_requested(stage,
draft)``, ``more_requested(stage)``, ``selected(key)``; the panel does the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLineEdit, QListView, QPushButton, QScrollArea,
                               QSizePolicy, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QToolButton, QVBoxLayout, QWidget)

from fidus_desktop.crm.index import Board, PipelineRow
from fidus_desktop.crm.prospects import ProspectDraft
from fidus_desktop.domain.prospects import Stage

from ..widgets.format import money
from .style import FieldMarks, message_label, show_message

MIME = "application/x-fidus-pipeline-key"
ROW = Qt.ItemDataRole.UserRole
CARD_HEIGHT = 66
COLUMN_WIDTH = 236
FOLDED_WIDTH = 132
STAGES = tuple(Stage)


class CardModel(QAbstractListModel):
    """The cards one column shows; a drop on it asks for a move to its stage."""

    dropped = Signal(str, object)  # key, stage

    def __init__(self, stage: Stage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        self.cards: list[PipelineRow] = []

    def set_cards(self, cards: Sequence[PipelineRow]) -> None:
        self.beginResetModel()
        self.cards = list(cards)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.cards):
            return None
        card = self.cards[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return card.name
        if role == ROW:
            return card
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{card.name}\n{card.email}\n{card.phone}" + ("\nPortal lead (not yet in the pipeline)"
                                                                 if card.is_lead else "")
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        return base if index.isValid() else Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        data = QMimeData()
        keys = [self.cards[i.row()].key for i in indexes if i.isValid()]
        data.setData(MIME, ("\n".join(keys)).encode("utf-8"))
        return data

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                        parent: QModelIndex | QPersistentModelIndex) -> bool:
        return data.hasFormat(MIME)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                     parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not data.hasFormat(MIME):
            return False
        for key in bytes(data.data(MIME).data()).decode("utf-8", "replace").splitlines():
            if key and key not in {c.key for c in self.cards}:
                self.dropped.emit(key, self.stage)
        # Nothing moves in the models: the board redraws from the index once the move is saved.
        return False


class CardDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        return QSize(COLUMN_WIDTH - 24, CARD_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        card: PipelineRow | None = index.data(ROW)
        if card is None:
            return
        painter.save()
        rect = option.rect.adjusted(2, 3, -2, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#2f5d7c" if selected else "#c9d2dc"), 2 if selected else 1))
        painter.setBrush(QColor("#eef4f9" if selected else "#fff7e6" if card.is_lead else "#ffffff"))
        painter.drawRoundedRect(rect, 5, 5)
        inner = rect.adjusted(8, 4, -8, -4)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#1f2933"))
        line = inner.height() // 3
        name = ("\u23f3 " if card.pending else "") + card.name
        painter.drawText(QRect(inner.left(), inner.top(), inner.width(), line), Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, inner.width()))
        painter.setFont(option.font)
        painter.setPen(QColor("#52606d"))
        second = card.email or card.phone
        painter.drawText(QRect(inner.left(), inner.top() + line, inner.width(), line), Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(second, Qt.TextElideMode.ElideRight, inner.width()))
        left = "Portal lead" if card.is_lead else (money(card.value) if card.value is not None else "")
        painter.drawText(QRect(inner.left(), inner.top() + 2 * line, inner.width(), line), Qt.AlignmentFlag.AlignLeft,
                         left)
        state = card.due_state(datetime.now(UTC))
        if state:
            due = card.due.astimezone().strftime("%d %b") if card.due else ""
            painter.setPen(QColor("#b00020" if state == "overdue" else "#2f5d7c"))
            painter.drawText(QRect(inner.left(), inner.top() + 2 * line, inner.width(), line),
                             Qt.AlignmentFlag.AlignRight, ("Overdue " if state == "overdue" else "Due ") + due)
        painter.restore()


class QuickCreate(QWidget):
    """Name, e-mail and phone at the top of a column; Enter adds the prospect at that stage."""

    submitted = Signal(object)  # ProspectDraft

    def __init__(self, stage: Stage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.name, self.email, self.phone = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        for edit, hint in ((self.name, "Name"), (self.email, "E-mail"), (self.phone, "Phone (+country …)")):
            edit.setPlaceholderText(hint)
            edit.returnPressed.connect(self._submit)
            layout.addWidget(edit)
        self.fields = {"name": self.name, "email": self.email, "phone": self.phone}
        self.marks = FieldMarks(self.fields)
        self.error = message_label(self)
        layout.addWidget(self.error)

    def _submit(self) -> None:
        self.submitted.emit(ProspectDraft(name=self.name.text(), email=self.email.text(), phone=self.phone.text(),
                                          stage=self.stage))

    def show_problems(self, message: str, fields: dict[str, str]) -> None:
        self.marks.show(fields)
        show_message(self.error, message)

    def clear(self) -> None:
        for widget in self.fields.values():
            widget.clear()
        self.marks.clear()
        self.error.hide()
        self.hide()


class StageColumn(QWidget):
    create_requested = Signal(object)  # ProspectDraft

    def __init__(self, stage: Stage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        self.folded = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.header = QToolButton(self)
        self.header.setObjectName("kanbanHeader")
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.header.setProperty("stage", stage.value)  # its colour: resources/style/light.qss
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip(f"New prospect at {stage.label}")
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.add_button)
        layout.addLayout(top)
        #: Built on the first "+" (six of them would cost the board's opening a third of its time).
        self._quick: QuickCreate | None = None
        self.model = CardModel(stage, self)
        self.list = QListView(self)
        self.list.setObjectName(f"kanban-{stage.value}")
        self.list.setModel(self.model)
        self.list.setItemDelegate(CardDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragEnabled(True)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        layout.addWidget(self.list, 1)
        self.more = QPushButton("Show more", self)
        self.more.hide()
        layout.addWidget(self.more)
        self.count, self.total = 0, None
        self.add_button.clicked.connect(self._toggle_quick)

    @property
    def quick(self) -> QuickCreate:
        if self._quick is None:
            self._quick = QuickCreate(self.stage, self)
            self._quick.hide()
            self.layout().insertWidget(1, self._quick)
            self._quick.submitted.connect(self.create_requested)
        return self._quick

    def _toggle_quick(self) -> None:
        self.quick.setVisible(not self.quick.isVisible())
        if self.quick.isVisible():
            self.quick.name.setFocus()

    def show_column(self, cards: Sequence[PipelineRow], count: int, total: object) -> None:
        self.count, self.total = count, total
        self.model.set_cards(cards)
        self.more.setVisible(len(cards) < count and not self.folded)
        self.more.setText(f"Show more ({len(cards):,} of {count:,})")
        self._title()

    def _title(self) -> None:
        arrow = "\u25b8" if self.folded else "\u25be"
        self.header.setText(f"{arrow} {self.stage.label} · {self.count:,}\n{money(self.total)}")  # type: ignore[arg-type]
        self.header.setToolTip(f"{self.stage.label}: {self.count:,} records, prospective value "
                               f"{money(self.total)}. Click to fold or unfold.")  # type: ignore[arg-type]

    def set_folded(self, folded: bool) -> None:
        self.folded = folded
        for widget in (self.list, self.add_button):
            widget.setVisible(not folded)
        if folded:
            if self._quick is not None:
                self._quick.hide()
            self.more.hide()
        self.setFixedWidth(FOLDED_WIDTH if folded else COLUMN_WIDTH)
        self._title()


class KanbanBoard(QWidget):
    move_requested = Signal(str, object)  # key, Stage
    create_requested = Signal(object, object)  # Stage, ProspectDraft
    more_requested = Signal(object)  # Stage
    selected = Signal(str)  # key
    fold_changed = Signal(object)  # set of folded stages

    def __init__(self, folded: Sequence[str] = ("won", "lost"), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Built top-down, each widget created in its final parent: under the app's style sheet
        # every re-parenting re-polishes the whole subtree (the board would take 150 ms).
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        layout.addWidget(scroll)
        strip = QWidget(scroll.viewport())
        scroll.setWidget(strip)
        row = QHBoxLayout(strip)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.columns = {stage: StageColumn(stage, strip) for stage in STAGES}
        for stage, column in self.columns.items():
            row.addWidget(column)
            column.set_folded(stage.value in folded)
            column.header.clicked.connect(lambda _=False, s=stage: self.toggle_fold(s))
            column.model.dropped.connect(self.move_requested)
            column.create_requested.connect(lambda draft, s=stage: self.create_requested.emit(s, draft))
            column.more.clicked.connect(lambda _=False, s=stage: self.more_requested.emit(s))
            column.list.selectionModel().currentChanged.connect(
                lambda current, _previous, s=stage: self._current(s, current))
        row.addStretch(1)
        self.board: Board | None = None
        for keys, step in (("Alt+Right", 1), ("Alt+Left", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self.move_selected(s))

    # ---- drawing -----------------------------------------------------------------------------------

    def show_board(self, board: Board) -> None:
        keep = self.selected_key()
        self.board = board
        for stage, column in self.columns.items():
            data = board.columns[stage]
            column.show_column(data.cards, data.count, data.total)
        if keep:
            self.select(keep)

    def folded(self) -> set[Stage]:
        return {s for s, c in self.columns.items() if c.folded}

    def toggle_fold(self, stage: Stage) -> None:
        column = self.columns[stage]
        column.set_folded(not column.folded)
        self.fold_changed.emit(self.folded())

    # ---- selection and keyboard moves ------------------------------------------------------------------

    def _current(self, stage: Stage, index: QModelIndex) -> None:
        if not index.isValid():
            return
        for other, column in self.columns.items():
            if other is not stage:
                column.list.selectionModel().clearSelection()
        card = index.data(ROW)
        if card is not None:
            self.selected.emit(card.key)

    def selected_card(self) -> PipelineRow | None:
        for column in self.columns.values():
            indexes = column.list.selectionModel().selectedIndexes()
            if indexes:
                return indexes[0].data(ROW)
        return None

    def selected_key(self) -> str:
        card = self.selected_card()
        return card.key if card else ""

    def select(self, key: str) -> bool:
        for column in self.columns.values():
            for row, card in enumerate(column.model.cards):
                if card.key == key:
                    index = column.model.index(row)
                    column.list.setCurrentIndex(index)
                    column.list.scrollTo(index)
                    return True
        return False

    def move_selected(self, step: int) -> None:
        """Alt+Right / Alt+Left: the selected card to the next / previous stage."""
        card = self.selected_card()
        if card is None:
            return
        position = STAGES.index(card.stage) + step
        if 0 <= position < len(STAGES):
            self.move_requested.emit(card.key, STAGES[position])
