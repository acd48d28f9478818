"""``fidus-desktop crm``: the commands scripts rely on, their exit codes and JSON contracts."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fidus_desktop.crm.prospects import ProspectDraft, create_prospect
from fidus_desktop.domain.prospects import Stage
from fidus_desktop.paths import AppPaths
from fidus_desktop.storage.sqlite import SqliteBackend
from fidus_desktop.storage.store import FundStore

from .conftest import runtime_over

ROOT = Path(__file__).resolve().parents[2]


def crm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FIDUS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "fidus_desktop", "crm", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
async def home(tmp_path) -> Path:
    home = tmp_path / "home"
    paths = AppPaths.under(home)
    paths.ensure()
    store = await FundStore.open(SqliteBackend(paths.fund_db))
    context = await runtime_over(store, tmp_path / "writer")
    for name, email, phone, stage in (("Ana Castro", "ana@example.com", "+1 305 555 0111", Stage.WON),
                                      ("Bruno Diaz", "bruno@example.com", "+1 305 555 0122", Stage.LEAD)):
        await create_prospect(context, ProspectDraft(name=name, email=email, phone=phone, stage=stage,
                                                     estimated_value="1000", notes="=SUM(A1)"))
    await context.cache.close()
    await store.close()
    return home


def listed(home: Path, *args: str) -> dict:
    result = crm(home, "list", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_list_json_contract(home):
    data = listed(home)
    assert data["count"] == 2 and data["source"] == "SQLite on this computer"
    ana = next(p for p in data["prospects"] if p["name"] == "Ana Castro")
    assert set(ana) == {"id", "name", "email", "phone", "stage", "source", "owner", "aml_kyc_status", "estimated_value",
                        "next_action", "next_action_due", "created_at", "updated_at", "converted_to_client",
                        "portal_lead"}
    assert (ana["stage"], ana["estimated_value"], ana["aml_kyc_status"], ana["portal_lead"]) == (
        "won", "1000.00", "pending", False)
    assert [p["name"] for p in listed(home, "--stage", "lead")["prospects"]] == ["Bruno Diaz"]
    assert "stable contract" in crm(home, "list", "--help").stdout


def test_move_and_convert_with_their_refusals(home):
    bruno = next(p for p in listed(home)["prospects"] if p["name"] == "Bruno Diaz")
    moved = crm(home, "move", bruno["id"], "negotiation")
    assert moved.returncode == 0 and "Moved" in moved.stdout
    assert next(p for p in listed(home)["prospects"] if p["id"] == bruno["id"])["stage"] == "negotiation"
    refused = crm(home, "convert", bruno["id"])
    assert refused.returncode == 1
    assert "not 'Won'" in refused.stdout and "AML/KYC is 'pending'" in refused.stdout
    assert crm(home, "move", "no-such-id", "won").returncode == 1
    bad_stage = crm(home, "move", bruno["id"], "maybe")
    assert bad_stage.returncode == 2 and "not a stage" in bad_stage.stderr


def test_import_dry_run_then_for_real_and_export(home, tmp_path):
    csv_path = tmp_path / "in.csv"
    csv_path.write_bytes(codecs.BOM_UTF8 + "Nombre;Correo;Teléfono;Etapa\r\nCarla Ruiz;carla@example.com;+34 600 111 222;"
                         "qualified\r\nDup;ANA@example.com;+44 20 7946 0000;\r\nMala;mala@;600;\r\n".encode())
    dry = crm(home, "import", str(csv_path), "--dry-run", "--json")
    assert dry.returncode == 1, dry.stderr
    report = json.loads(dry.stdout)
    assert report["encoding"] == "UTF-8 with BOM" and report["delimiter"] == "semicolon" and report["dry_run"]
    assert [(r["line"], r["result"]) for r in report["rows"]] == [(2, "would_import"), (3, "duplicate"),
                                                                   (4, "refused")]
    assert "prospect Ana Castro" in report["rows"][1]["duplicate_of"][0]
    assert set(report["rows"][2]["reasons"]) == {"email", "phone"}
    assert listed(home)["count"] == 2  # nothing written
    real = crm(home, "import", str(csv_path), "--json")
    assert real.returncode == 1
    rows = json.loads(real.stdout)["rows"]
    assert rows[0]["result"] == "imported" and rows[0]["prospect_id"] and rows[1]["prospect_id"] is None
    assert listed(home)["count"] == 3  # the duplicate was not imported
    clean = tmp_path / "clean.csv"
    clean.write_text("name,email,phone\nDora,dora@example.com,+1 305 555 0177\n", encoding="utf-8")
    assert crm(home, "import", str(clean)).returncode == 0
    out = tmp_path / "out.csv"
    exported = crm(home, "export", str(out), "--stage", "won")
    assert exported.returncode == 0 and "Exported 1 row(s)" in exported.stdout
    text = out.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[1].split(",")[1] == "Ana Castro" and "'=SUM(A1)" in text


def test_a_missing_fund_and_an_unreadable_file_fail_with_exit_2(tmp_path, home):
    empty = crm(tmp_path / "nowhere", "list")
    assert empty.returncode == 2 and "no fund database" in empty.stderr
    missing = crm(home, "import", str(tmp_path / "missing.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
