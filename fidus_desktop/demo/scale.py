"""A demo fund at the scale a busy fund reaches: ``fidus-desktop --demo-size N``.

N investments (each with its schedule, about ten payments, and every payment due so far
recorded as paid), N prospects over the pipeline's stages and N/5 clients, all deterministic.
Building 100,000 investments takes a while, so each size is built once into a template in this
computer's cache folder and copied for every run (the copy is the throwaway ``--demo`` fund).
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import sqlite3
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import platformdirs

from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS

from ..domain.activity import ActivityEntry
from ..domain.funds import DEFAULT_PRODUCTS
from ..domain.investments import Investment, InvestmentShape, InvestmentStatus
from ..domain.leads import PortalLead
from ..domain.mt5_accounts import Mt5AccountLink
from ..domain.people import Client, KycStatus
from ..domain.prospects import Prospect, Stage
from ..domain.referrals import Salesperson, salesperson_key
from ..paths import APP_AUTHOR, APP_NAME, AppPaths
from ..portfolio.loader import book_from_records
from ..services.payment_calendar import history_paid_entries
from .fund import FIRST_NAMES, LAST_NAMES, PRINCIPAL_RANGES, SOURCES

log = logging.getLogger(__name__)

#: Where the templates live; tests point it elsewhere.
TEMPLATES_ENV = "FIDUS_DEMO_TEMPLATES"
_STAGES = (Stage.LEAD,) * 6 + (Stage.QUALIFIED,) * 4 + (Stage.PROPOSAL,) * 3 + (Stage.NEGOTIATION,) * 3 + (
    Stage.WON, Stage.WON, Stage.LOST, Stage.LOST)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_scaled_fund(investments: int, *, seed: int = 11, as_of: date | None = None) -> dict[str, list]:
    rng = random.Random(seed)
    today = as_of or datetime.now(UTC).date()
    n_clients = max(1, investments // 5)
    clients = []
    for i in range(n_clients):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i:05d}"
        kyc = KycStatus.PENDING if i % 17 == 5 else KycStatus.APPROVED
        clients.append(Client(client_id=f"client_{i:07d}", name=name, email=f"client{i}@example.com",
                              phone=f"+1 305 555 {i % 10000:04d}", kyc_status=kyc,
                              created_at=datetime.combine(today - timedelta(days=rng.randint(430, 900)), time(9), UTC)))
    prospects = [Prospect(
        prospect_id=_uuid(rng), name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} p{i}",
        email=f"prospect{i}@example.com", phone=f"+1 786 555 {i % 10000:04d}", stage=rng.choice(_STAGES),
        source=rng.choice(SOURCES), estimated_value=Decimal(rng.randint(10, 500) * 1000),
        created_at=datetime.combine(today - timedelta(days=rng.randint(1, 700)), time(10), UTC))
        for i in range(investments)]
    # The CRM's own fields on some of them: who looks after each, and next actions (some overdue).
    owners = ("Ana", "Luis", "Marta", "")
    for i in range(0, len(prospects), 3):
        due = datetime.combine(today + timedelta(days=rng.randint(-20, 20)), time(9), UTC)
        prospects[i] = prospects[i].evolve(owner=rng.choice(owners), next_action="Call back", next_action_due=due)
    leads = [PortalLead(lead_id=f"{i:024x}", email=f"portal{i}@example.com", phone=f"+1305555{i % 10000:04d}",
                        engagement_score=10 * (i % 5),
                        created_at=datetime.combine(today - timedelta(days=i % 60), time(11), UTC))
             for i in range(max(1, investments // 200))]
    products = {p.code: p for p in DEFAULT_PRODUCTS}
    plan = ("CORE", "CORE", "CORE", "BALANCE", "BALANCE", "DYNAMIC", "UNLIMITED")
    accounts = {a.fund_type: a for a in DEMO_ACCOUNTS if a.account_type == "live"}
    invs = []
    for n in range(investments):
        code = plan[n % len(plan)]
        low, high = PRINCIPAL_RANGES[code]
        start = datetime.combine(today - timedelta(days=rng.randint(20, 450)), time(0), UTC)
        status = (InvestmentStatus.COMPLETED if (today - start.date()).days > products[code].contract_days
                  else InvestmentStatus.ACTIVE)
        client = clients[n % n_clients]
        invs.append(Investment(
            investment_id=_uuid(rng), client_id=client.client_id, client_name=client.name, product=code,
            principal=Decimal(rng.randint(low, high) * 1000), start_date=start, status=status,
            interest_rate=products[code].monthly_rate, payment_frequency=products[code].payment_frequency
            if products[code].payment_frequency.months else None, mt5_accounts=(accounts[code].login,),
            created_at=start, shape=InvestmentShape.CURRENT))
    # A third of the investments came through one of a dozen referral agents.
    people = [Salesperson(salesperson_id=salesperson_key(f"{0x5A1E5 * 2**40 + n:024x}"),
                          name=f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[-1 - n % len(LAST_NAMES)]} (agent)",
                          email=f"agent{n}@referrals.example.com", referral_code=f"AG{n:02d}-2025")
              for n in range(12)]
    invs = [inv.evolve(salesperson_id=people[n // 3 % len(people)].salesperson_id) if n % 3 == 0 else inv
            for n, inv in enumerate(invs)]
    links = [Mt5AccountLink(account=a.login, name=a.name, broker="Fidus Broker", server=a.server,
                            fund_type=a.fund_type, manager_name=a.manager_name, account_type=a.account_type,
                            initial_allocation=a.initial_allocation * max(1, investments // 25),
                            balance=a.initial_allocation * max(1, investments // 25),
                            equity=a.initial_allocation * max(1, investments // 25),
                            last_sync=datetime.combine(today, time(6), UTC)) for a in DEMO_ACCOUNTS]
    book = book_from_records(DEFAULT_PRODUCTS, invs, clients, links, (), today)
    activity: list[ActivityEntry] = history_paid_entries(book, until=today, actor="demo")
    return {"clients": clients, "prospects": prospects, "investments": invs, "mt5_accounts": links,
            "activity": activity, "salespeople": people, "leads": leads}


def template_path(investments: int) -> Path:
    folder = Path(os.environ.get(TEMPLATES_ENV) or platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)) / "demo-templates"
    return folder / f"demo-{investments}-{datetime.now(UTC).date().isoformat()}.sqlite3"


def prepare_scaled_demo(paths: AppPaths, investments: int) -> Path:
    """Put a demo fund of ``investments`` in ``paths``' fund file (blocking: run it in a lane)."""
    template = template_path(investments)
    if not template.exists():
        _build_template(template, investments)
    paths.ensure()
    shutil.copyfile(template, paths.fund_db)
    return paths.fund_db


def _build_template(template: Path, investments: int) -> None:
    import asyncio

    from ..storage.sqlite import SqliteBackend
    from ..storage.store import FundStore

    log.info("building a demo fund of %d investments (once per size and day)", investments)
    template.parent.mkdir(parents=True, exist_ok=True)
    for old in template.parent.glob(f"demo-{investments}-*.sqlite3*"):
        old.unlink(missing_ok=True)
    building = template.with_suffix(".building")
    building.unlink(missing_ok=True)

    async def fill() -> None:
        store = await FundStore.open(SqliteBackend(building))
        try:
            fund = build_scaled_fund(investments)
            for name in ("clients", "prospects", "investments", "mt5_accounts", "activity", "salespeople", "leads"):
                await getattr(store, name).add_many(fund[name])
        finally:
            await store.close()

    asyncio.run(fill())
    with sqlite3.connect(building) as db:  # one self-contained file: the WAL folded in
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    building.replace(template)
