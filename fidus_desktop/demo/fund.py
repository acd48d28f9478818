"""A deterministic demo fund: the embedded default's first run and ``fidus-desktop --demo``.

Same seed and same ``as_of`` day, same fund. Dates are laid out relative to ``as_of`` so that the
dashboard always has payments coming due and investments at every point of their contract.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from ..domain.activity import ActivityEntry
from ..domain.funds import DEFAULT_PRODUCTS, PaymentFrequency
from ..domain.investments import Investment, InvestmentShape, InvestmentStatus
from ..domain.leads import PortalLead
from ..domain.mt5_accounts import Mt5AccountLink
from .managers import demo_configs, demo_managers
from ..domain.people import Client, KycStatus
from ..domain.prospects import Prospect, Stage
from ..domain.referrals import CommissionRecord, CommissionStatus, Salesperson, salesperson_key
from ..domain.redemption_requests import RedemptionRequest
from ..domain.redemptions import redemption_quote
from ..domain.schedules import PaymentKind, payment_schedule
from ..domain.readiness import ClientReadiness
from ..portfolio.loader import book_from_records
from ..services.payment_calendar import history_paid_entries
from ..storage.store import FundStore
from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS

FIRST_NAMES = ("Ana", "Bruno", "Carla", "Diego", "Elena", "Felipe", "Gabriela", "Hector", "Isabel", "Javier",
               "Karen", "Luis", "Mariana", "Nicolas", "Olivia", "Pablo", "Renata", "Santiago", "Teresa",
               "Ulises", "Valeria", "Walter", "Ximena", "Yolanda", "Zoe", "Andres", "Beatriz", "Camilo")
LAST_NAMES = ("Alvarez", "Benitez", "Castro", "Duarte", "Espinoza", "Fuentes", "Guerrero", "Herrera",
              "Ibarra", "Jimenez", "Lozano", "Morales", "Navarro", "Ortega", "Paredes", "Quintero",
              "Rojas", "Salazar", "Torres", "Valdez", "Zamora")
SOURCES = ("website", "referral", "prospects_portal", "user_registration", "event")

#: Prospects per stage: a pipeline that narrows toward "won", as a real one does.
STAGE_COUNTS = {Stage.LEAD: 18, Stage.QUALIFIED: 12, Stage.PROPOSAL: 9, Stage.NEGOTIATION: 8,
                Stage.WON: 7, Stage.LOST: 6}

#: (product, principal range in thousands) per demo investment; every product appears.
PRINCIPAL_RANGES = {"CORE": (10, 80), "BALANCE": (50, 250), "DYNAMIC": (250, 450), "UNLIMITED": (250, 400)}

CLIENT_COUNT = 20
#: Sign-ups from the public portal, neither converted nor migrated: the pipeline shows them.
PORTAL_LEAD_COUNT = 5


def _hex_id(rng: random.Random, length: int = 8) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex[:length]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 18), rng.randint(0, 59)), tzinfo=UTC)


def _person(rng: random.Random, used: set[str]) -> tuple[str, str, str]:
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in used:
            used.add(name)
            break
    email = name.lower().replace(" ", ".") + "@example.com"
    phone = f"+1 305 555 {rng.randint(1000, 9999)}"
    return name, email, phone


def build_demo_fund(seed: int = 7, as_of: date | None = None) -> dict[str, list]:
    """The demo fund's records, not yet stored: ``clients``, ``prospects``, ``investments``,
    ``mt5_accounts``, ``activity``, ``money_managers`` and ``mt5_account_config``."""
    rng = random.Random(seed)
    today = as_of or datetime.now(UTC).date()
    used_names: set[str] = set()

    clients: list[Client] = []
    for i in range(CLIENT_COUNT):
        name, email, phone = _person(rng, used_names)
        # Three clients have not cleared KYC yet: the manager must see them blocked from investing.
        kyc = KycStatus.PENDING if i in (5, 12, 18) else rng.choice((KycStatus.APPROVED, KycStatus.CLEAR))
        clients.append(Client(
            client_id=f"client_{_hex_id(rng)}", name=name, email=email, phone=phone,
            username=email.split("@")[0].replace(".", "")[:10], kyc_status=kyc,
            created_at=_moment(today - timedelta(days=rng.randint(430, 520)), rng)))

    prospects: list[Prospect] = []
    converted = iter(clients[:5])
    for stage, count in STAGE_COUNTS.items():
        for _ in range(count):
            created = _moment(today - timedelta(days=rng.randint(3, 400)), rng)
            client = next(converted, None) if stage is Stage.WON else None
            if client is not None:
                name, email, phone = client.name, client.email, client.phone
            else:
                name, email, phone = _person(rng, used_names)
            aml = (KycStatus.APPROVED if client else
                   rng.choice((KycStatus.PENDING, KycStatus.PENDING, KycStatus.CLEAR, KycStatus.MANUAL_REVIEW)))
            prospects.append(Prospect(
                prospect_id=_uuid(rng), name=name, email=email, phone=phone, stage=stage,
                source=rng.choice(SOURCES), aml_kyc_status=aml,
                converted_to_client=client is not None, client_id=client.client_id if client else "",
                estimated_value=Decimal(rng.randint(10, 500) * 1000), created_at=created,
                notes=f"Interested in {rng.choice(('CORE', 'BALANCE', 'DYNAMIC', 'UNLIMITED'))}."))
    # Link converted clients back to the prospect they came from, as the original's conversion does.
    by_client = {p.client_id: p.prospect_id for p in prospects if p.client_id}
    clients = [c.evolve(source_prospect_id=by_client.get(c.client_id, "")) for c in clients]

    accounts = {a.fund_type: a for a in DEMO_ACCOUNTS if a.account_type == "live"}
    products = {p.code: p for p in DEFAULT_PRODUCTS}
    investments: list[Investment] = []
    investors = [c for c in clients if c.kyc_status.is_cleared]
    plan = ["CORE", "BALANCE", "DYNAMIC", "UNLIMITED"] + [
        rng.choice(("CORE", "CORE", "BALANCE", "BALANCE", "DYNAMIC", "UNLIMITED")) for _ in range(len(investors) + 4)]
    # A few older documents in the original's other shapes, so the readers are exercised daily.
    shapes = {3: InvestmentShape.REFERRAL_SEED, 7: InvestmentShape.MINIMAL, 11: InvestmentShape.API_CREATE}
    for n, code in enumerate(plan):
        client = investors[n % len(investors)]
        low, high = PRINCIPAL_RANGES[code]
        principal = Decimal(rng.randint(low, high) * 1000)
        # Starts from 15 months ago (contract over) to last month (still incubating).
        start = datetime.combine(today - timedelta(days=rng.randint(20, 450)), time(0), tzinfo=UTC)
        status = InvestmentStatus.ACTIVE
        if (today - start.date()).days > products[code].contract_days:
            status = InvestmentStatus.COMPLETED
        shape = shapes.get(n, InvestmentShape.CURRENT)
        product = products[code]
        investments.append(Investment(
            investment_id=(f"INV-{_hex_id(rng)}" if shape is InvestmentShape.REFERRAL_SEED else _uuid(rng)),
            client_id=client.client_id, client_name=client.name, product=code, principal=principal,
            start_date=start, status=status,
            interest_rate=None if shape is InvestmentShape.API_CREATE else product.monthly_rate,
            payment_frequency=None if shape is InvestmentShape.API_CREATE else product.payment_frequency
            if product.payment_frequency is not PaymentFrequency.NONE else None,
            mt5_accounts=(accounts[code].login,), created_at=start, shape=shape))

    mt5_links = []
    for account in DEMO_ACCOUNTS:
        drift = Decimal(rng.randint(20, 100)) / 1000  # +2 % .. +10 % since allocation
        equity = (account.initial_allocation * (1 + drift)).quantize(Decimal("0.01"))
        mt5_links.append(Mt5AccountLink(
            account=account.login, name=account.name, broker="Fidus Broker", server=account.server,
            fund_type=account.fund_type, manager_name=account.manager_name, account_type=account.account_type,
            capital_source="separation" if account.fund_type == "SEPARATION" else "client",
            initial_allocation=account.initial_allocation, balance=equity, equity=equity,
            last_sync=datetime.combine(today, time(6), tzinfo=UTC)))

    activity = [ActivityEntry(
        log_id=_uuid(rng), activity_type="deposit", description=f"{inv.product} investment of {inv.principal:,.2f}",
        timestamp=inv.start_date, client_id=inv.client_id, investment_id=inv.investment_id,
        amount=inv.principal, fund_code=inv.product, actor="demo") for inv in investments]

    # Referral agents and the investments they brought (their own random stream, so the rest of
    # the fund stays as it was before they existed).
    referral_rng = random.Random(seed + 1000)
    salespeople = [Salesperson(salesperson_id=salesperson_key(f"{referral_rng.getrandbits(96):024x}"), name=name,
                               email=name.lower().replace(" ", ".") + "@referrals.example.com",
                               phone=f"+1 786 555 {referral_rng.randint(1000, 9999)}", referral_code=code,
                               preferred_payment_method="bank_transfer", commission_rate=Decimal("0.10"),
                               joined_date=_moment(today - timedelta(days=referral_rng.randint(500, 700)), referral_rng))
                   for name, code in SALESPEOPLE]
    investments = [inv.evolve(salesperson_id=salespeople[n % 3].salesperson_id) if n % 4 != 3 else inv
                   for n, inv in enumerate(investments)]

    # The original never recorded interest paid; a demo fund has paid everything due so far, so
    # its calendar starts clean instead of showing every past payment as overdue.
    book = book_from_records(DEFAULT_PRODUCTS, investments, clients, mt5_links, (), today)
    activity += history_paid_entries(book, until=today, actor="demo")
    commissions = _paid_commissions(book, salespeople, today)

    leads = []
    for _ in range(PORTAL_LEAD_COUNT):
        name, email, phone = _person(rng, used_names)
        signed_up = _moment(today - timedelta(days=rng.randint(1, 30)), rng)
        leads.append(PortalLead(
            lead_id=uuid.UUID(int=rng.getrandbits(128)).hex[:24], email=email, phone=phone.replace(" ", ""),
            engagement_score=10 * rng.randint(0, 4), interest_level=rng.choice(("warm", "hot")),
            created_at=signed_up, last_activity=signed_up + timedelta(minutes=rng.randint(1, 90))))

    # Readiness as the original's admin screens record it: KYC done for cleared clients, the
    # agreement signed by those who invested.
    invested = {inv.client_id for inv in investments}
    readiness = [ClientReadiness(client_id=c.client_id, aml_kyc_completed=c.kyc_status.is_cleared,
                                 agreement_signed=c.client_id in invested, account_creation_date=c.created_at,
                                 notes="", updated_by="demo") for c in clients]

    return {"clients": clients, "prospects": prospects, "investments": investments,
            "mt5_accounts": mt5_links, "activity": activity, "salespeople": salespeople,
            "commissions": commissions, "money_managers": demo_managers(),
            "redemptions": _requests(investments, products, today),
            "mt5_account_config": demo_configs(), "leads": leads, "readiness": readiness}


SALESPEOPLE = (("Rosa Medina", "RM-2024"), ("Tomas Vidal", "TV-2024"), ("Lucia Prieto", "LP-2025"))


def _requests(investments: list[Investment], products: dict, today: date) -> list[RedemptionRequest]:
    """One client asking for the interest accrued since the last payment: a request to approve."""
    for inv in investments:
        product = products[inv.product]
        if not inv.is_active or not product.monthly_rate:
            continue
        schedule = payment_schedule(inv, product)
        paid = sum((p.amount for p in schedule if p.kind is PaymentKind.INTEREST and p.due < today), Decimal(0))
        quote = redemption_quote(inv, product, today, schedule=schedule, interest_paid=paid)
        amount = (quote.interest_available // 10) * 10
        if quote.interest_redeemable and amount >= 50:
            return [RedemptionRequest(
                redemption_id=str(uuid.UUID(int=inv.start_date.toordinal() * 7919, version=4)), client_id=inv.client_id,
                investment_id=inv.investment_id, fund_code=inv.product, fund_name=product.name, requested_amount=amount,
                request_date=datetime.combine(today, time(9), tzinfo=UTC), requested_redemption_date=today,
                current_value=quote.current_value, principal_amount=inv.principal, next_available_date=today,
                reason="Family expense")]
    return []


def _paid_commissions(book, salespeople: list[Salesperson], today: date) -> list[CommissionRecord]:
    """Commissions on client payments more than 45 days old are paid; the recent ones wait."""
    from ..portfolio.calendar import select
    from ..services.payment_calendar import CalendarFilter, PaymentState
    from ..storage.codecs.referrals import commission_object_id

    names = {s.salesperson_id: s.name for s in salespeople}
    rows = select(book, CalendarFilter(kind=PaymentKind.COMMISSION, last=today - timedelta(days=45),
                                       states=frozenset({PaymentState.DUE, PaymentState.OVERDUE}))).rows()
    paid = []
    for r in rows:
        paid_at = datetime.combine(r.due + timedelta(days=7), time(10), tzinfo=UTC)
        slot = book.index[r.investment_id]
        paid.append(CommissionRecord(
            commission_key=str(commission_object_id(r.investment_id, r.number, r.due)), salesperson_id=r.payee_id,
            investment_id=r.investment_id, payment_number=r.number, client_payment_date=r.due,
            commission_amount=r.amount, client_interest_amount=book.interest_of(slot), status=CommissionStatus.PAID,
            salesperson_name=names.get(r.payee_id, ""), client_id=r.client_id, client_name=r.client_name,
            product_type=r.product, commission_rate=Decimal("0.10"), commission_due_date=r.due,
            approved_date=paid_at, paid_date=paid_at, payment_method="bank_transfer",
            payment_reference=f"TRF-{r.due:%Y%m%d}-{r.number:02d}", created_at=paid_at))
    return paid


async def load_demo_fund(store: FundStore, seed: int = 7, as_of: date | None = None) -> dict[str, int]:
    """Write the demo fund into ``store`` (bulk) and return how many records of each kind."""
    fund = build_demo_fund(seed, as_of)
    repos = {"clients": store.clients, "prospects": store.prospects, "investments": store.investments,
             "mt5_accounts": store.mt5_accounts, "activity": store.activity, "salespeople": store.salespeople,
             "commissions": store.commissions, "money_managers": store.money_managers,
             "redemptions": store.redemptions, "mt5_account_config": store.mt5_configs,
             "leads": store.leads, "readiness": store.readiness}
    return {name: await repos[name].add_many(fund[name]) for name in repos}


async def create_demo_fund_file(path: Path, seed: int = 7, as_of: date | None = None) -> dict[str, int]:
    """A new fund file at ``path`` holding the demo fund, all or nothing: it is built under a
    temporary name and renamed into place only once every record is in, so a crash during the
    first start leaves no fund file (the next start loads the demo again), never a partial one."""
    from ..storage.sqlite import SqliteBackend
    from ..storage.sqlite.files import complete_file

    with complete_file(path) as building:
        store = await FundStore.open(SqliteBackend(building))
        try:
            return await load_demo_fund(store, seed, as_of)
        finally:
            await store.close()
