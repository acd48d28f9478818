"""The CRM panel driven like the manager drives it: cards dragged and moved with the keyboard,
filters and sorts in both views, invalid input, conversion, a concurrent writer's conflict
(another store on the same SQLite file, and the web platform on MongoDB), CSV import and export,
a portal lead migrated on its first move."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest

from fidus_desktop.crm.pipeline_service import PipelineService
from fidus_desktop.crm.timeline import Person, timeline
from fidus_desktop.domain.leads import LEAD_PREFIX, PortalLead
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Prospect, Stage
from fidus_desktop.storage.query import Eq, Query
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore
from tests.portfolio.gui_env import gui  # noqa: F401
from tests.storage.mongo_fixtures import mongo_server  # noqa: F401
from tests.ui.conftest import make_window, qloop  # noqa: F401
from ui.crm.dialogs import ConflictDialog, DuplicatesDialog
from ui.crm.import_dialog import ImportDialog
from ui.crm.panel import CrmPanel

pytestmark = pytest.mark.gui
CREATED = datetime(2026, 1, 5, 10, tzinfo=UTC)


def prospect(name: str, stage: Stage = Stage.LEAD, n: int = 0, **more) -> Prospect:
    email = name.lower().replace(" ", ".") + "@example.com"
    return Prospect(prospect_id=str(uuid.UUID(int=n + 1)), name=name, email=email, phone=f"+1 305 555 {n:04d}",
                    stage=stage, created_at=CREATED.replace(day=1 + n % 27), **more)


SEED = [prospect("Ana Castro", Stage.LEAD, 1, owner="Luis"), prospect("Bruno Diaz", Stage.LEAD, 2),
        prospect("Carla Ruiz", Stage.QUALIFIED, 3, notes="likes BALANCE"),
        prospect("Diego Torres", Stage.WON, 4, aml_kyc_status=KycStatus.APPROVED),
        prospect("Elena Vidal", Stage.WON, 5)]
LEAD = PortalLead(lead_id="65f1a2b3c4d5e6f708192a11", email="portal.person@example.com", phone="+13055550999",
                  created_at=CREATED)


def open_panel(gui, qtbot, seed=SEED, leads=(LEAD,)) -> CrmPanel:
    gui.run(gui.store.prospects.add_many(seed))
    if leads:
        gui.run(gui.store.leads.add_many(leads))
    gui.context.services.add(PipelineService(gui.context))
    gui.run(gui.context.services.start())
    panel = CrmPanel(gui.context, gui.tasks, bridge=gui.bridge)
    qtbot.addWidget(panel)
    panel.resize(1500, 900)
    panel.show()
    panel.on_shown()
    gui.wait(lambda: panel.ready)
    return panel


@pytest.fixture
def panel(gui, qtbot):
    return open_panel(gui, qtbot)


def cards(panel, stage):
    return [c.name for c in panel.kanban.columns[stage].model.cards]


def drag(panel, key, source, target):
    """A drop on the target column, as Qt delivers it: the source model's MIME data."""
    model = panel.kanban.columns[source].model
    row = next(i for i, c in enumerate(model.cards) if c.key == key)
    data = model.mimeData([model.index(row)])
    panel.kanban.columns[target].model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, QModelIndex())


def until(gui, check, timeout: float = 15.0) -> None:
    """Wait (the window's loop turning) until the coroutine function ``check`` answers true."""
    async def poll() -> None:
        while not await check():
            assert not gui.errors, gui.errors
            await asyncio.sleep(0.02)

    gui.run(asyncio.wait_for(poll(), timeout))


def stored_as(gui, key, **wanted) -> None:
    async def check() -> bool:
        record = await gui.context.store.prospects.get(key)
        return all(getattr(record, k) == v for k, v in wanted.items())

    until(gui, check)


def count_is(gui, n) -> None:
    async def check() -> bool:
        return await gui.context.store.prospects.count() == n

    until(gui, check)


def test_dragging_a_card_saves_audits_and_shows_it_on_the_timeline(gui, panel):
    ana = SEED[0]
    assert "Ana Castro" in cards(panel, Stage.LEAD)
    drag(panel, ana.prospect_id, Stage.LEAD, Stage.PROPOSAL)
    stored_as(gui, ana.prospect_id, stage=Stage.PROPOSAL)
    gui.wait(lambda: "Ana Castro" in cards(panel, Stage.PROPOSAL) and "Ana Castro" not in cards(panel, Stage.LEAD))
    audits = gui.run(gui.store.activity.find(Query(where=(Eq("prospect_id", ana.prospect_id),))))
    assert [a.activity_type for a in audits] == ["stage_changed"]
    panel.kanban.select(ana.prospect_id)
    gui.wait(lambda: panel.pane.timeline.items)
    assert panel.pane.timeline.items[0].summary == "Ana Castro: Lead -> Proposal"
    assert panel.kanban.columns[Stage.PROPOSAL].count == 1


def test_moving_a_card_with_the_keyboard(gui, panel, qtbot):
    bruno = SEED[1]
    column = panel.kanban.columns[Stage.LEAD]
    panel.kanban.select(bruno.prospect_id)
    column.list.setFocus()
    QTest.keyClick(column.list, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    stored_as(gui, bruno.prospect_id, stage=Stage.QUALIFIED)
    gui.wait(lambda: "Bruno Diaz" in cards(panel, Stage.QUALIFIED))
    panel.kanban.select(bruno.prospect_id)
    panel.kanban.move_selected(-1)
    stored_as(gui, bruno.prospect_id, stage=Stage.LEAD)


def test_a_portal_lead_is_migrated_on_its_first_move(gui, panel):
    key = LEAD_PREFIX + LEAD.lead_id
    assert "Portal.Person" in cards(panel, Stage.LEAD)
    drag(panel, key, Stage.LEAD, Stage.QUALIFIED)
    gui.wait(lambda: "Portal.Person" in cards(panel, Stage.QUALIFIED))
    lead = gui.run(gui.store.leads.get(LEAD.lead_id))
    assert lead.migrated_to_crm and lead.crm_prospect_id
    assert gui.run(gui.store.prospects.get(lead.crm_prospect_id)).raw["_original_lead_id"] == LEAD.lead_id
    assert not [c for c in panel.kanban.columns[Stage.LEAD].model.cards if c.is_lead]


def test_filter_and_sort_in_both_views(gui, panel, qtbot):
    panel.filters.search.setText("balance")
    gui.wait(lambda: sum(c.count for c in panel.kanban.board.columns.values()) == 1)
    assert cards(panel, Stage.QUALIFIED) == ["Carla Ruiz"] and cards(panel, Stage.LEAD) == []
    panel.filters.search.setText("")
    panel.filters.owner.setCurrentIndex(panel.filters.owner.findData("Luis"))
    gui.wait(lambda: cards(panel, Stage.LEAD) == ["Ana Castro"])
    assert sum(c.count for c in panel.kanban.board.columns.values()) == 1
    panel.filters.owner.setCurrentIndex(0)
    panel.show_view("table")
    gui.wait(lambda: panel.table.model.rowCount() == 6)
    name_column = next(i for i, c in enumerate(panel.table.model.columns) if c.sort == "name")
    panel.table.view.horizontalHeader().sectionClicked.emit(name_column)
    gui.wait(lambda: panel.table.model.row(0).name == "Ana Castro")
    names = [panel.table.model.row(i).name for i in range(6)]
    assert names == sorted(names, key=str.casefold)
    panel.table.view.horizontalHeader().sectionClicked.emit(name_column)
    gui.wait(lambda: panel.table.model.row(0).name == "Portal.Person")
    panel.filters.stages.actions_[Stage.WON].setChecked(True)
    gui.wait(lambda: panel.table.model.rowCount() == 2)
    assert {panel.table.model.row(i).name for i in range(2)} == {"Diego Torres", "Elena Vidal"}
    panel.show_view("kanban")  # the same filter, drawn when the board is in sight again
    gui.wait(lambda: panel.kanban.board.columns[Stage.LEAD].count == 0)
    assert panel.kanban.board.columns[Stage.WON].count == 2


def test_an_invalid_email_is_marked_and_the_typing_kept(gui, panel):
    panel.kanban.select(SEED[0].prospect_id)
    gui.wait(lambda: panel.pane.record is not None)
    panel.pane.form.email.setText("ana@castro")
    panel.pane.form.phone.setText("305 555 1234")
    panel.pane.save.click()
    gui.wait(lambda: "not an e-mail address" in panel.pane.message.text())
    assert panel.pane.form.email.text() == "ana@castro"
    assert "international form" in panel.pane.form.phone.toolTip()
    assert gui.run(gui.store.prospects.get(SEED[0].prospect_id)).email == SEED[0].email


def test_conversion_allowed_and_refused_with_each_reason(gui, panel):
    panel.kanban.toggle_fold(Stage.WON)
    gui.wait(lambda: "Elena Vidal" in cards(panel, Stage.WON))
    panel.kanban.select(SEED[4].prospect_id)  # won, KYC pending
    gui.wait(lambda: panel.pane.record is not None and panel.pane.key == SEED[4].prospect_id)
    assert "AML/KYC is 'pending'" in panel.pane.blockers.text() and not panel.pane.convert.isEnabled()
    panel.convert()
    gui.wait(lambda: panel.pane.message.text().startswith("Not converted"))
    panel.kanban.select(SEED[2].prospect_id)  # qualified and pending: two reasons
    gui.wait(lambda: panel.pane.key == SEED[2].prospect_id)
    assert "not 'Won'" in panel.pane.blockers.text() and "pending" in panel.pane.blockers.text()
    panel.kanban.select(SEED[3].prospect_id)
    gui.wait(lambda: panel.pane.key == SEED[3].prospect_id and panel.pane.convert.isEnabled())
    panel.pane.convert.click()
    gui.wait(lambda: "is now client" in panel.pane.message.text())
    stored = gui.run(gui.store.prospects.get(SEED[3].prospect_id))
    assert stored.converted_to_client and gui.run(gui.store.clients.get(stored.client_id)).name == "Diego Torres"
    assert "Converted" in panel.pane.blockers.text()


def test_a_concurrent_edit_on_the_same_file_opens_the_merge_view(gui, panel, tmp_path):
    ana = SEED[0]
    panel.kanban.select(ana.prospect_id)
    gui.wait(lambda: panel.pane.record is not None)
    panel.pane.form.name.setText("Ana Castro-Lopez")
    panel.pane.form.owner.setText("Marta")

    async def their_edit():
        other = await FundStore.open(SqliteBackend(tmp_path / "fund.sqlite3"))  # another window on the same file
        try:
            record = await other.prospects.get(ana.prospect_id)
            await other.prospects.save(record.evolve(name="Ana C. (web)", notes="their note"))
        finally:
            await other.close()

    gui.run(their_edit())
    panel.pane.save.click()
    gui.wait(lambda: isinstance(panel._dialog, ConflictDialog))
    dialog = panel._dialog
    assert list(dialog.buttons_by_field) == ["name"]  # owner and notes are no conflict
    dialog.pick("name", "theirs")
    dialog.buttons.accepted.emit()
    stored_as(gui, ana.prospect_id, owner="Marta")
    stored = gui.run(gui.store.prospects.get(ana.prospect_id))
    assert (stored.name, stored.notes, stored.owner) == ("Ana C. (web)", "their note", "Marta")


def test_an_external_change_keeps_what_the_manager_is_typing(gui, panel, tmp_path):
    ana = SEED[0]
    panel.kanban.select(ana.prospect_id)
    gui.wait(lambda: panel.pane.record is not None)
    panel.pane.form.next_action.setText("Call on Monday")
    panel.pane.form.edited.emit()
    fresh = gui.run(gui.store.prospects.get(ana.prospect_id))
    gui.run(gui.store.prospects.save(fresh.evolve(source="web fair")))
    from fidus_desktop.services.changes import Changes, publish_changes

    change = Changes.of(prospects=[ana.prospect_id], origin="external")
    publish_changes(gui.context.events, change)
    panel.on_changes(change)  # what the main window does for each panel
    gui.wait(lambda: panel.pane.form.source.text() == "web fair")
    assert panel.pane.form.next_action.text() == "Call on Monday"
    panel.pane.save.click()
    stored_as(gui, ana.prospect_id, next_action="Call on Monday")
    assert gui.run(gui.store.prospects.get(ana.prospect_id)).source == "web fair"


def test_csv_import_previews_then_writes_the_good_rows(gui, panel, tmp_path):
    path = tmp_path / "leads.csv"
    rows = ("Name;E-mail;Teléfono;Stage\r\n"
            "François Müller;fm@example.com;+41 44 123 45 67;qualified\r\n"
            "Broken;broken@;12;\r\n"
            "Ana Again;ana.castro@example.com;+44 20 7946 0000;\r\n")
    path.write_bytes(rows.encode("cp1252"))
    panel.import_file(path)
    gui.wait(lambda: isinstance(panel._dialog, ImportDialog) and panel._dialog.preview is not None)
    dialog = panel._dialog
    assert dialog.file.encoding == "Windows-1252" and dialog.file.delimiter_name == "semicolon"
    assert [(r.line, r.status) for r in dialog.preview.rows] == [(2, "ok"), (3, "refused"), (4, "duplicate")]
    assert gui.run(gui.store.prospects.count()) == len(SEED)  # nothing written before Import
    assert dialog.import_button.text() == "Import 1 row(s)"
    dialog.import_button.click()
    count_is(gui, len(SEED) + 1)
    gui.wait(lambda: "François Müller" in cards(panel, Stage.QUALIFIED))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfname,email,phone\r\nZoe Ito,zoe@example.com,+81 3 1234 5678\r\n")
    panel.import_file(bom)
    gui.wait(lambda: panel._dialog is not dialog and isinstance(panel._dialog, ImportDialog)
             and panel._dialog.preview is not None)
    assert panel._dialog.file.encoding == "UTF-8 with BOM" and panel._dialog.preview.count("ok") == 1


def test_export_writes_formula_looking_cells_as_text(gui, qtbot, tmp_path):
    panel = open_panel(gui, qtbot, seed=[prospect("=HYPERLINK(\"http://evil\")", n=9, notes="+1+2")], leads=())
    out = tmp_path / "pipeline.csv"
    panel.export_file(out)
    gui.wait(lambda: out.exists() and "exported" in panel.state.text())
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    line = text.decode("utf-8-sig").splitlines()[1]
    assert "'=HYPERLINK" in line and "'+1+2" in line


def test_quick_create_flags_a_duplicate_and_keeps_the_input(gui, panel):
    column = panel.kanban.columns[Stage.QUALIFIED]
    column.add_button.click()
    column.quick.name.setText("Ana Twin")
    column.quick.email.setText("ANA.CASTRO@example.com")
    column.quick.phone.setText("+34 600 000 000")
    column.quick.email.returnPressed.emit()
    gui.wait(lambda: isinstance(panel._dialog, DuplicatesDialog))
    assert column.quick.email.text() == "ANA.CASTRO@example.com" and "Ana Castro" in column.quick.error.text()
    panel._dialog.save.click()
    gui.wait(lambda: "Ana Twin" in cards(panel, Stage.QUALIFIED))


def test_the_panels_actions_are_in_the_palette(panel):
    labels = [label for label, _ in panel.actions()]
    assert "Import prospects from CSV…" in labels and any("Alt+Right" in label for label in labels)


@pytest.mark.mongo
def test_the_web_platforms_edit_on_mongodb_opens_the_merge_view(qtbot, make_window, mongo_server):
    """The whole window on a MongoDB shared with the web platform (the app's own qasync loop)."""
    from pymongo import MongoClient

    from fidus_desktop.app_context import AppContext
    from fidus_desktop.paths import AppPaths

    name = f"fidus_gui_{uuid.uuid4().hex[:8]}"
    web = MongoClient(mongo_server.uri)[name]  # the web platform's side (a plain, blocking client)
    ana = SEED[0]
    web.crm_prospects.insert_one({"prospect_id": ana.prospect_id, "name": ana.name, "email": ana.email,
                                  "phone": ana.phone, "stage": "lead", "notes": "", "converted_to_client": False,
                                  "client_id": "", "google_drive_folder": "", "created_at": datetime(2026, 1, 5),
                                  "updated_at": datetime(2026, 1, 5)})
    context = AppContext.create(AppPaths.default())
    context._mongo_uri, context._database = mongo_server.uri, name  # this session on the MongoDB
    try:
        window = make_window(context)
        window.show_panel("crm")
        qtbot.waitUntil(lambda: window.slot("crm").panel is not None and window.slot("crm").panel.ready, timeout=15000)
        panel = window.slot("crm").panel
        qtbot.waitUntil(lambda: cards(panel, Stage.LEAD) == ["Ana Castro"], timeout=10000)
        panel.kanban.select(ana.prospect_id)
        qtbot.waitUntil(lambda: panel.pane.record is not None, timeout=10000)
        panel.pane.form.name.setText("Ana (desktop)")
        web.crm_prospects.update_one({"prospect_id": ana.prospect_id},
                                     {"$set": {"name": "Ana (web)", "updated_at": "2026-03-01T10:00:00"}})
        panel.pane.save.click()
        qtbot.waitUntil(lambda: isinstance(panel._dialog, ConflictDialog), timeout=10000)
        assert list(panel._dialog.buttons_by_field) == ["name"]
        panel._dialog.buttons.accepted.emit()  # keep mine
        # Written last (no transactions here: the outbox holds the operation meanwhile).
        query = {"prospect_id": ana.prospect_id, "activity_type": "prospect_updated"}
        qtbot.waitUntil(lambda: web.activity_logs.find_one(query) is not None, timeout=10000)
        assert web.activity_logs.find_one(query)["details"]["changes"]["name"]["to"] == "Ana (desktop)"
        assert web.crm_prospects.find_one({"prospect_id": ana.prospect_id})["name"] == "Ana (desktop)"
    finally:
        web.client.drop_database(name)
        web.client.close()
