"""``fidus-desktop crm``: the pipeline for scripts, on the configured store or a MongoDB.

    fidus-desktop crm import leads.csv --dry-run --json
    fidus-desktop crm export pipeline.csv --stage negotiation
    fidus-desktop crm list --stage won --json
    fidus-desktop crm move 3c5e7a90-... qualified
    fidus-desktop crm convert 3c5e7a90-...

Every change goes through the app's one write path (one audit entry each, on the person's
timeline); the rules are the window's (duplicates, the conversion rule).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

EXIT_REFUSED = 1
EXIT_FAILED = 2

_STORE = ("Reads and writes the configured fund database (settings storage), or the MongoDB given with "
          "--mongo-uri URI [--database NAME].")
_EXIT = "Exit status: 0 done, 1 refused by the rules (the reasons printed), 2 failed (the reason on standard error)."

IMPORT_CONTRACT = f"""\
Imports prospects from a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252;
comma, semicolon or tab separated; the first row is the header, mapped to fields by name (name or
first/last name, e-mail, phone are required; stage, source, owner, estimated value, notes, next
action, due date are optional). Each row is imported, refused (with each field's reason) or a
duplicate (same e-mail ignoring case, or same phone digits, as a stored prospect, portal lead or
client, or as an earlier row of the file). From the command line duplicates are never imported.
All good rows are written as one unit. With --dry-run nothing is written.

JSON (--json) is a stable contract: fields may be added, never renamed or removed.

  {{"file": "leads.csv", "encoding": "UTF-8 with BOM", "delimiter": "semicolon", "dry_run": false,
   "problems": ["From line 812 on the file could not be read (...)"],
   "summary": {{"rows": 3, "imported": 1, "refused": 1, "duplicate": 1}},
   "rows": [{{"line": 2, "result": "imported", "prospect_id": "3c5e7a90-...", "reasons": {{}},
             "duplicate_of": []}},
            {{"line": 3, "result": "refused", "prospect_id": null,
             "reasons": {{"email": "'ana@' is not an e-mail address (like name@example.com)."}},
             "duplicate_of": []}},
            {{"line": 4, "result": "duplicate", "prospect_id": null, "reasons": {{}},
             "duplicate_of": ["same e-mail as prospect Ana Castro (3c5e...)"]}}]}}

- "result": "imported" (written), "would_import" (--dry-run), "refused" or "duplicate";
- "line" is the row's line number in the file (the header is line 1);
- "summary.imported" counts "would_import" rows too under --dry-run.

{_STORE}
Exit status: 0 every row imported (or would be), 1 any row refused or duplicate, 2 failed."""

LIST_CONTRACT = f"""\
Lists the pipeline: every prospect and every portal lead neither converted nor migrated, newest
first, optionally one stage.

JSON (--json) is a stable contract: fields may be added, never renamed or removed.

  {{"source": "SQLite on this computer", "count": 1,
   "prospects": [{{"id": "3c5e7a90-...", "name": "Ana Castro", "email": "ana@example.com",
                  "phone": "+1 305 555 0100", "stage": "won", "source": "referral", "owner": "Luis",
                  "aml_kyc_status": "approved", "estimated_value": "250000.00",
                  "next_action": "Send agreement", "next_action_due": "2026-03-02T09:00:00+00:00",
                  "created_at": "2025-10-01T09:00:00+00:00", "updated_at": "2026-02-01T10:00:00+00:00",
                  "converted_to_client": false, "portal_lead": false}}]}}

- "id" is the prospect_id, or "portal_lead_<lead _id>" for a portal lead (crm move takes either);
- money as a decimal string to the cent, or null; times as ISO 8601 UTC, or null.

{_STORE}
{_EXIT}"""


def _stage(text: str) -> str:
    from ..domain.prospects import Stage

    value = text.strip().lower()
    if value not in {s.value for s in Stage}:
        raise argparse.ArgumentTypeError(f"not a stage: {text!r} (one of {', '.join(s.value for s in Stage)})")
    return value


def _store_args(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the command (``fidus-desktop --mongo-uri X crm list``) they must survive.
    parser.add_argument("--mongo-uri", metavar="URI", default=argparse.SUPPRESS,
                        help="use this MongoDB instead of the configured store")
    parser.add_argument("--database", metavar="NAME", default=argparse.SUPPRESS,
                        help="MongoDB database name (default fidus_production, or the settings')")


def add_parser(subparsers: Any) -> None:
    crm = subparsers.add_parser("crm", help="the CRM pipeline for scripts: import, export, list, move, convert",
                                description="The CRM pipeline from the command line. " + _STORE)
    commands = crm.add_subparsers(title="crm commands", metavar="ACTION", required=True)
    raw = argparse.RawDescriptionHelpFormatter

    p = commands.add_parser("import", help="import prospects from a CSV file", description=IMPORT_CONTRACT,
                            formatter_class=raw)
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    p.add_argument("--json", action="store_true", help="print the stable JSON form")
    _store_args(p)
    p.set_defaults(crm_action="import")

    p = commands.add_parser("export", help="write the pipeline (or one stage) to a CSV file",
                            description="Writes the pipeline to a CSV file (UTF-8 with BOM, comma, CRLF; cells "
                                        "a spreadsheet would run as formulas are written as text). " + _STORE + " "
                                        + _EXIT)
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.add_argument("--stage", type=_stage, metavar="S", help="only this stage")
    _store_args(p)
    p.set_defaults(crm_action="export")

    p = commands.add_parser("list", help="list the pipeline", description=LIST_CONTRACT, formatter_class=raw)
    p.add_argument("--stage", type=_stage, metavar="S", help="only this stage")
    p.add_argument("--json", action="store_true", help="print the stable JSON form")
    _store_args(p)
    p.set_defaults(crm_action="list")

    p = commands.add_parser("move", help="move a prospect (or portal lead) to a stage",
                            description="Moves the prospect ID to STAGE (a portal lead is taken into the pipeline "
                                        "as the web platform does). " + _STORE + " " + _EXIT)
    p.add_argument("id", metavar="ID")
    p.add_argument("stage", type=_stage, metavar="STAGE")
    _store_args(p)
    p.set_defaults(crm_action="move")

    p = commands.add_parser("convert", help="make a won prospect a client",
                            description="Converts the prospect ID into a client under the original's rule (stage "
                                        "won, not converted yet, AML/KYC clear or approved). Prints the new client "
                                        "id, or each condition that fails (exit 1). " + _STORE + " " + _EXIT)
    p.add_argument("id", metavar="ID")
    _store_args(p)
    p.set_defaults(crm_action="convert")


def run(args: argparse.Namespace) -> int:
    from ..logs import redact

    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:  # a readable line and exit 2, never a traceback with a URI in it
        print(redact(f"crm {getattr(args, 'crm_action', '')} failed: {type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_FAILED


async def _open(args: argparse.Namespace) -> Any:
    from ..app_context import AppContext, register_uri_secret
    from ..paths import AppPaths
    from ..services.health import ServiceName

    context = AppContext.create(AppPaths.default())
    mongo_uri = getattr(args, "mongo_uri", None)
    if mongo_uri:
        register_uri_secret(mongo_uri)
    else:
        target = context.storage_target()
        if target is None:
            raise _Fail(f"MongoDB is configured but no address is saved in the keyring (entry "
                        f"'{context.settings.storage.mongo_uri_secret}'); pass --mongo-uri.")
        if target.embedded_path is not None and not target.embedded_path.exists():
            raise _Fail(f"there is no fund database at {target.embedded_path} yet (open FIDUS Desktop once, or "
                        "run 'fidus-desktop migrate --from').")
    await context.open_storage(mongo_uri=mongo_uri, database=getattr(args, "database", None))
    if context.store is None:
        await context.close()
        raise _Fail(context.health.get(ServiceName.DATABASE).detail or "the fund database could not be opened.")
    return context


class _Fail(Exception):
    pass


async def _run(args: argparse.Namespace) -> int:
    from ..errors import FidusError
    from ..logs import redact

    try:
        context = await _open(args)
    except (_Fail, FidusError) as exc:
        print(redact(f"crm {args.crm_action} failed: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    try:
        action = {"import": _import, "export": _export, "list": _list, "move": _move, "convert": _convert}
        return await action[args.crm_action](context, args)
    except FidusError as exc:
        print(redact(f"crm {args.crm_action} failed: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    finally:
        await context.close()


def _source(context: Any) -> str:
    from ..services.health import ServiceName

    return context.health.get(ServiceName.DATABASE).source


async def _snapshot(context: Any) -> Any:
    from ..crm.index import build_snapshot
    from ..crm.pipeline_service import read_pipeline

    prospects, leads = await read_pipeline(context.store)
    return build_snapshot(prospects, leads)


def _queued_note(result: Any) -> str:
    return (f" (kept on this computer: {result.reason} It is saved when FIDUS Desktop next reaches the database.)"
            if result is not None and result.queued else "")


async def _import(context: Any, args: argparse.Namespace) -> int:
    from ..crm import csv_import
    from ..crm.pipeline_service import duplicate_index, read_clients
    from ..errors import ValidationError

    try:
        data = args.file.read_bytes() if args.file.stat().st_size <= csv_import.MAX_BYTES else None
    except OSError as exc:
        print(f"crm import failed: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        if data is None:
            raise ValidationError(f"The file is larger than {csv_import.MAX_BYTES // 1_000_000} MB; split it.")
        file = csv_import.read_csv(data, args.file.name)
        mapping = csv_import.guess_mapping(file.header)
        index = duplicate_index(await _snapshot(context), await read_clients(context.store))
        preview = csv_import.preview(file, mapping, index)
    except ValidationError as exc:
        print(f"crm import: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    written: dict[int, str] = {}
    outcome = None
    if not args.dry_run:
        outcome = await csv_import.commit(context, preview)
        written = dict(outcome.imported)
    ok = "would_import" if args.dry_run else "imported"
    rows = [{"line": r.line, "result": ok if r.status == "ok" else r.status, "prospect_id": written.get(r.line),
             "reasons": dict(r.problems), "duplicate_of": list(r.duplicate_of)} for r in preview.rows]
    summary = {"rows": len(rows), "imported": preview.count("ok"), "refused": preview.count("refused"),
               "duplicate": preview.count("duplicate")}
    if args.json:
        print(json.dumps({"file": file.name, "encoding": file.encoding, "delimiter": file.delimiter_name,
                          "dry_run": bool(args.dry_run), "problems": list(file.problems), "summary": summary,
                          "rows": rows}, indent=2, ensure_ascii=False))
    else:
        print(f"{file.name}: {file.encoding}, {file.delimiter_name}-separated, {len(rows)} row(s).")
        for problem in file.problems:
            print(f"  ! {problem}")
        for r, row in zip(rows, preview.rows, strict=True):
            detail = r["prospect_id"] or row.reason
            print(f"  line {r['line']:>6}  {r['result']:<12} {detail}")
        verb = "would be imported" if args.dry_run else "imported"
        print(f"{summary['imported']} {verb}, {summary['refused']} refused, {summary['duplicate']} duplicate(s)."
              + _queued_note(outcome.result if outcome else None))
    return EXIT_REFUSED if summary["refused"] or summary["duplicate"] or file.problems else 0


def _stage_filter(stage: str | None) -> Any:
    from ..crm.filters import PipelineFilter
    from ..domain.prospects import Stage

    return PipelineFilter(stages=frozenset({Stage(stage)})) if stage else PipelineFilter()


async def _export(context: Any, args: argparse.Namespace) -> int:
    from ..crm.csv_export import write_csv
    from ..crm.filters import Sort

    snapshot = await _snapshot(context)
    slots = snapshot.select(_stage_filter(args.stage), Sort("created_at", True))
    try:
        count = await context.lanes.io.run(lambda: write_csv(args.file, snapshot, slots), action="export the pipeline")
    except OSError as exc:
        print(f"crm export failed: cannot write {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Exported {count} row(s) to {args.file}.")
    return 0


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _list(context: Any, args: argparse.Namespace) -> int:
    from ..crm.filters import Sort

    snapshot = await _snapshot(context)
    rows = [snapshot.row(int(s)) for s in snapshot.select(_stage_filter(args.stage), Sort("created_at", True))]
    if args.json:
        print(json.dumps({"source": _source(context), "count": len(rows), "prospects": [{
            "id": r.key, "name": r.name, "email": r.email, "phone": r.phone, "stage": r.stage.value,
            "source": r.source, "owner": r.owner, "aml_kyc_status": r.kyc.value,
            "estimated_value": None if r.value is None else f"{r.value:.2f}", "next_action": r.next_action,
            "next_action_due": _iso(r.due), "created_at": _iso(r.created), "updated_at": _iso(r.updated),
            "converted_to_client": r.converted, "portal_lead": r.is_lead} for r in rows]}, indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        value = "-" if r.value is None else f"{r.value:,.2f}"
        mark = " (portal lead)" if r.is_lead else " (client)" if r.converted else ""
        print(f"{r.stage.value:<12} {r.name[:30]:<30} {r.email[:32]:<32} {value:>16}  {r.key}{mark}")
    print(f"{len(rows)} record(s).")
    return 0


async def _move(context: Any, args: argparse.Namespace) -> int:
    from ..crm.prospects import move_stage
    from ..domain.leads import lead_id_of
    from ..domain.prospects import Stage
    from ..errors import NotFoundError

    try:
        prospect, result = await move_stage(context, args.id, Stage(args.stage))
    except NotFoundError as exc:
        print(f"crm move: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if result is None:
        print(f"{prospect.prospect_id} is already at {args.stage}.")
    elif lead_id_of(args.id) is not None:
        print(f"Portal lead taken into the pipeline as prospect {prospect.prospect_id}, at {args.stage}."
              + _queued_note(result))
    else:
        print(f"Moved {prospect.prospect_id} to {args.stage}." + _queued_note(result))
    return 0


async def _convert(context: Any, args: argparse.Namespace) -> int:
    from ..crm.conversion import ConversionRefused, convert_prospect
    from ..errors import NotFoundError

    try:
        conversion = await convert_prospect(context, args.id)
    except ConversionRefused as exc:
        print("Not converted:", file=sys.stderr)
        for reason in exc.reasons:
            print(f"  - {reason}", file=sys.stderr)
        print("\n".join(f"refused: {reason}" for reason in exc.reasons))
        return EXIT_REFUSED
    except NotFoundError as exc:
        print(f"crm convert: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(conversion.client_id)
    print(f"username {conversion.username}{_queued_note(conversion.result)}", file=sys.stderr)
    return 0
