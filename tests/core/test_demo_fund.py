from collections import Counter
from datetime import date

from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS
from fidus_desktop.demo.fund import build_demo_fund
from fidus_desktop.domain.prospects import Stage, conversion_blockers

AS_OF = date(2026, 11, 29)


def test_demo_fund_is_deterministic():
    assert build_demo_fund(7, AS_OF) == build_demo_fund(7, AS_OF)
    assert build_demo_fund(7, AS_OF) != build_demo_fund(8, AS_OF)


def test_demo_fund_has_the_promised_size_and_coverage():
    fund = build_demo_fund(7, AS_OF)
    assert len(fund["clients"]) == 20
    assert len(fund["prospects"]) == 60
    assert set(Counter(p.stage for p in fund["prospects"])) == set(Stage)
    assert {i.product for i in fund["investments"]} == {"CORE", "BALANCE", "DYNAMIC", "UNLIMITED"}
    assert {a.account for a in fund["mt5_accounts"]} == {a.login for a in DEMO_ACCOUNTS}


def test_demo_investments_respect_the_fund_rules():
    fund = build_demo_fund(7, AS_OF)
    clients = {c.client_id: c for c in fund["clients"]}
    minimums = {"CORE": 10_000, "BALANCE": 50_000, "DYNAMIC": 250_000, "UNLIMITED": 250_000}
    for inv in fund["investments"]:
        assert clients[inv.client_id].kyc_cleared, "no investment for a client without cleared KYC"
        assert inv.principal >= minimums[inv.product]
        assert inv.mt5_accounts, "every investment is linked to its fund's MT5 account"


def test_converted_prospects_point_at_real_clients_and_back():
    fund = build_demo_fund(7, AS_OF)
    clients = {c.client_id: c for c in fund["clients"]}
    converted = [p for p in fund["prospects"] if p.converted_to_client]
    assert converted
    for p in converted:
        assert p.stage is Stage.WON and clients[p.client_id].source_prospect_id == p.prospect_id
    # Some won prospects still wait for conversion, so the manager can try the rule.
    waiting = [p for p in fund["prospects"] if p.stage is Stage.WON and not p.converted_to_client]
    assert waiting
    for p in waiting:
        assert (conversion_blockers(p) == []) == p.aml_kyc_status.is_cleared
