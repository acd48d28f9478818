"""The demo terminal against mt5-api.md: structures, constants, failure behaviour, arrays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.demo_terminal import constants as c

# Field lists re-typed from mt5-api.md §4 (not imported), in order.
FIELDS = {
    "account_info": "login trade_mode leverage limit_orders margin_so_mode trade_allowed trade_expert margin_mode "
                    "currency_digits fifo_close balance credit profit equity margin margin_free margin_level "
                    "margin_so_call margin_so_so margin_initial margin_maintenance assets liabilities "
                    "commission_blocked name server currency company",
    "terminal_info": "community_account community_connection connected dlls_allowed trade_allowed tradeapi_disabled "
                     "email_enabled ftp_enabled notifications_enabled mqid build maxbars codepage ping_last "
                     "community_balance retransmission company name language path data_path commondata_path",
    "tick": "time bid ask last volume time_msc flags volume_real",
    "position": "ticket time time_msc time_update time_update_msc type magic identifier reason volume price_open sl "
                "tp price_current swap profit symbol comment external_id",
    "order": "ticket time_setup time_setup_msc time_done time_done_msc time_expiration type type_time type_filling "
             "state magic position_id position_by_id reason volume_initial volume_current price_open sl tp "
             "price_current price_stoplimit symbol comment external_id",
    "deal": "ticket order time time_msc type entry magic position_id reason volume price commission swap profit fee "
            "symbol comment external_id",
    "request": "action magic order symbol volume price stoplimit sl tp deviation type type_filling type_time "
               "expiration comment position position_by",
    "send": "retcode deal order volume price bid ask comment request_id retcode_external request",
    "check": "retcode balance equity profit margin margin_free margin_level comment request",
    "book": "type price volume volume_dbl",
}
SYMBOL_FIRST = ["custom", "chart_mode", "select", "visible", "session_deals"]
SYMBOL_FLOATS_FROM = 31  # bid
SYMBOL_LAST = ["basis", "category", "currency_base", "currency_profit", "currency_margin", "bank", "description",
               "exchange", "formula", "isin", "name", "page", "path"]
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def mt5(terminal: DemoTerminal) -> DemoTerminal:
    assert terminal.initialize()
    return terminal


def all_deals(mt5: DemoTerminal):
    return mt5.history_deals_get(EPOCH, datetime.fromtimestamp(mt5.clock(), UTC) + timedelta(days=2))


def names(struct) -> list[str]:
    return list(struct._asdict())


def test_structures_have_the_real_fields_in_order(mt5: DemoTerminal) -> None:
    mt5.login(88001001)
    pos = mt5.positions_get()[0]
    order = mt5.history_orders_get(EPOCH, datetime.fromtimestamp(mt5.clock(), UTC))[0]
    deal = all_deals(mt5)[0]
    request = {"action": c.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": 0.1, "type": c.ORDER_TYPE_BUY}
    mt5.market_book_add("EURUSD")
    found = {"account_info": mt5.account_info(), "terminal_info": mt5.terminal_info(),
             "tick": mt5.symbol_info_tick("EURUSD"), "position": pos, "order": order, "deal": deal,
             "send": mt5.order_send(request), "check": mt5.order_check(request),
             "book": mt5.market_book_get("EURUSD")[0]}
    found["request"] = found["send"].request
    for key, struct in found.items():
        assert names(struct) == FIELDS[key].split(), key
        assert len(struct) == len(FIELDS[key].split())
        assert isinstance(struct, tuple)
        assert struct[0] == getattr(struct, FIELDS[key].split()[0])
        assert not hasattr(struct, "_fields") and not hasattr(struct, "_replace")  # real ones lack them
    assert repr(found["account_info"]).startswith("AccountInfo(login=88001001, trade_mode=")
    # _asdict() keeps the nested request a structure, as the real module does
    assert type(found["send"]._asdict()["request"]).__name__ == "TradeRequest"


def test_symbol_info_has_96_fields(mt5: DemoTerminal) -> None:
    info = mt5.symbol_info("EURUSD")
    fields = names(info)
    assert len(fields) == 96
    assert fields[:5] == SYMBOL_FIRST
    assert fields[SYMBOL_FLOATS_FROM] == "bid" and fields[82] == "price_sensitivity"
    assert fields[83:] == SYMBOL_LAST
    assert isinstance(info.bid, float) and isinstance(info.digits, int) and info.name == "EURUSD"


def test_constants_have_the_real_values() -> None:
    mt5 = DemoTerminal(seed=1)
    exported = {k: v for k, v in c.all_constants().items() if not k.startswith("RES_")}
    assert len(exported) == 208
    spot = {"TIMEFRAME_H1": 16385, "TIMEFRAME_H12": 16396, "TIMEFRAME_D1": 16408, "TIMEFRAME_W1": 32769,
            "TIMEFRAME_MN1": 49153, "COPY_TICKS_ALL": -1, "TICK_FLAG_SELL": 0x40, "ACCOUNT_TRADE_MODE_DEMO": 0,
            "ACCOUNT_MARGIN_MODE_RETAIL_HEDGING": 2, "ORDER_TYPE_CLOSE_BY": 8, "ORDER_STATE_REQUEST_CANCEL": 9,
            "DEAL_TYPE_BALANCE": 2, "DEAL_DIVIDEND": 15, "DEAL_TAX": 17, "DEAL_ENTRY_OUT_BY": 3,
            "DEAL_REASON_SPLIT": 9, "TRADE_ACTION_CLOSE_BY": 10, "TRADE_RETCODE_DONE": 10009,
            "TRADE_RETCODE_POSITION_CLOSED": 10036, "TRADE_RETCODE_INVALID_CLOSE_VOLUME": 10038,
            "TRADE_RETCODE_FIFO_CLOSE": 10045, "BOOK_TYPE_BUY_MARKET": 4, "SYMBOL_CALC_MODE_SERV_COLLATERAL": 64,
            "SYMBOL_SWAP_MODE_REOPEN_BID": 8, "DAY_OF_WEEK_SATURDAY": 6, "SYMBOL_OPTION_MODE_AMERICAN": 1,
            "RES_E_INTERNAL_FAIL_CONNECT": -10004, "RES_E_INTERNAL_FAIL_TIMEOUT": -10005, "RES_E_AUTH_FAILED": -6}
    for name, value in spot.items():
        assert getattr(mt5, name) == value, name
    assert not hasattr(c, "TRADE_RETCODE_HEDGE_PROHIBITED") and 10037 not in {
        v for k, v in exported.items() if k.startswith("TRADE_RETCODE_")}
    assert mt5.__version__ == "5.0.6231" and mt5.__author__ == "MetaQuotes Ltd."


def test_everything_fails_before_initialize_and_after_shutdown(terminal: DemoTerminal) -> None:
    for call in (terminal.account_info, terminal.terminal_info, terminal.positions_get, terminal.orders_total,
                 terminal.version, lambda: terminal.symbol_info("EURUSD"),
                 lambda: terminal.history_deals_get(EPOCH, EPOCH)):
        assert call() is None
        assert terminal.last_error() == (-10004, "No IPC connection")
    assert terminal.login(88001001) is False
    assert terminal.symbol_select("EURUSD", True) is False
    assert terminal.initialize() is True and terminal.last_error() == (1, "Success")
    assert terminal.account_info() is not None
    terminal.shutdown()
    assert terminal.positions_get() is None and terminal.last_error() == (-10004, "No IPC connection")


def test_failures_return_none_with_the_real_codes(mt5: DemoTerminal) -> None:
    assert mt5.symbol_info("NOPE") is None and mt5.last_error() == (-4, "Terminal: Not found")
    assert mt5.login(12345) is False and mt5.last_error() == (-6, "Terminal: Authorization failed")
    assert mt5.login(88001002, password="wrong") is False and mt5.last_error()[0] == -6
    assert mt5.positions_get("EURUSD") is None
    assert mt5.last_error() == (-2, "Unnamed arguments not allowed")
    long_comment = {"action": c.TRADE_ACTION_DEAL, "symbol": "EURUSD", "volume": 0.1, "comment": "x" * 40}
    assert mt5.order_check(long_comment) is None and mt5.last_error() == (-2, 'Invalid "comment" argument')
    assert mt5.copy_rates_range("NOPE", c.TIMEFRAME_H1, EPOCH, EPOCH) is None
    assert mt5.last_error() == (-1, "Terminal: Call failed")
    mt5.inject_error(-10005, count=1, functions={"account_info"})
    assert mt5.account_info() is None and mt5.last_error() == (-10005, "IPC timeout")
    assert mt5.account_info() is not None


def test_login_switches_the_one_account(mt5: DemoTerminal) -> None:
    from bridge_link.demo_terminal.accounts import DEMO_ACCOUNTS

    assert mt5.demo_logins() == tuple(a.login for a in DEMO_ACCOUNTS)
    for acc in DEMO_ACCOUNTS:
        assert mt5.login(acc.login) is True  # the password saved in the terminal is used
        info = mt5.account_info()
        assert (info.login, info.name, info.server, info.leverage) == (acc.login, acc.name, acc.server, acc.leverage)
        first = all_deals(mt5)[0]
        assert (first.type, first.symbol, first.profit) == (c.DEAL_TYPE_BALANCE, "", float(acc.initial_allocation))
        mode = c.ACCOUNT_TRADE_MODE_DEMO if acc.account_type == "live_demo" else c.ACCOUNT_TRADE_MODE_REAL
        assert info.trade_mode == mode
    assert mt5.login(88001003, password=mt5.demo_password(88001003)) is True


def test_account_identities_and_balance_from_deals(mt5: DemoTerminal) -> None:
    for login in mt5.demo_logins():
        mt5.login(login)
        info = mt5.account_info()
        assert info.equity == pytest.approx(info.balance + info.profit, abs=0.011)
        assert info.margin_free == pytest.approx(info.equity - info.margin, abs=0.011)
        if info.margin:
            assert info.margin_level == pytest.approx(info.equity / info.margin * 100, rel=1e-4)
        else:
            assert info.margin_level == 0.0
        amounts = sum(d.profit + d.commission + d.swap + d.fee for d in all_deals(mt5))
        assert info.balance == pytest.approx(amounts, abs=0.05)
        floating = sum(p.profit + p.swap for p in mt5.positions_get())
        assert info.profit == pytest.approx(floating, abs=0.011)


def test_history_holds_what_the_app_must_handle(mt5: DemoTerminal) -> None:
    now = datetime.fromtimestamp(mt5.clock(), UTC)
    seen_entries, margin_modes, zero_margin, swaps = set(), set(), False, []
    for login in mt5.demo_logins():
        mt5.login(login)
        deals = all_deals(mt5)
        info = mt5.account_info()
        margin_modes.add(info.margin_mode)
        zero_margin |= info.margin == 0.0
        seen_entries |= {d.entry for d in deals}
        balance = [d for d in deals if d.type == c.DEAL_TYPE_BALANCE]
        deposits = [d for d in balance if d.profit > 0]
        withdrawals = [d for d in balance if d.profit < 0]
        assert deposits and withdrawals and withdrawals[-1].time > deposits[0].time
        assert all(d.symbol == "" and d.volume == 0.0 and d.order == 0 for d in balance)
        assert deals[-1].time - deals[0].time > 540 * 86400  # about 18 months
        assert [d.time_msc for d in deals] == sorted(d.time_msc for d in deals)
        assert all(d.time_msc // 1000 == d.time for d in deals)
        swaps += [p.swap for p in mt5.positions_get()]
        orders = mt5.history_orders_get(EPOCH, now)
        if info.margin_mode != c.ACCOUNT_MARGIN_MODE_RETAIL_NETTING and info.margin:
            assert {o.state for o in orders} >= {c.ORDER_STATE_FILLED, c.ORDER_STATE_CANCELED}
    assert {c.DEAL_ENTRY_IN, c.DEAL_ENTRY_OUT, c.DEAL_ENTRY_INOUT} <= seen_entries
    assert {c.ACCOUNT_MARGIN_MODE_RETAIL_NETTING, c.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING} <= margin_modes
    assert zero_margin
    assert any(s != 0.0 for s in swaps)
    working = [o for login in mt5.demo_logins() if mt5.login(login) for o in mt5.orders_get()]
    assert working and all(o.state == c.ORDER_STATE_PLACED and o.time_done == 0 for o in working)


def test_trades_carry_commission_swap_fee_and_partial_closes(mt5: DemoTerminal) -> None:
    mt5.login(88001001)
    deals = all_deals(mt5)
    trades = [d for d in deals if d.type in (c.DEAL_TYPE_BUY, c.DEAL_TYPE_SELL)]
    assert any(d.commission < 0 for d in trades) and any(d.fee < 0 for d in trades)
    assert any(d.swap != 0 for d in trades if d.entry == c.DEAL_ENTRY_OUT)
    outs_per_position: dict[int, int] = {}
    for d in trades:
        if d.entry == c.DEAL_ENTRY_OUT:
            outs_per_position[d.position_id] = outs_per_position.get(d.position_id, 0) + 1
    assert max(outs_per_position.values()) >= 2  # a partial close, then the rest
    # history_deals_get(ticket=T) means the deals of *order* T
    sample = trades[5]
    assert mt5.history_deals_get(ticket=sample.order) == (sample,)
    assert all(d.position_id == sample.position_id for d in mt5.history_deals_get(position=sample.position_id))


def test_group_patterns_and_empty_results(mt5: DemoTerminal) -> None:
    mt5.login(88001001)
    start, end = EPOCH, datetime.fromtimestamp(mt5.clock(), UTC)
    everything = mt5.history_deals_get(start, end)
    no_eur = mt5.history_deals_get(start, end, group="*,!*EUR*")
    assert any(d.type == c.DEAL_TYPE_BALANCE for d in no_eur)  # '*' matches the deposit's empty symbol
    assert not any("EUR" in d.symbol for d in no_eur) and len(no_eur) < len(everything)
    only_gbp = mt5.history_deals_get(start, end, group="*GBP*")
    assert only_gbp and all(d.symbol == "GBPUSD" for d in only_gbp)
    assert mt5.history_deals_get(start, end, group="!*USD*") == ()
    assert mt5.history_deals_get(datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 2, 1, tzinfo=UTC)) == ()
    assert mt5.positions_get(symbol="NOPE") == ()
    assert [s.name for s in mt5.symbols_get("*USD,!GBP*")] == ["EURUSD", "XAUUSD", "BTCUSD"]


def test_arrays_have_the_real_dtypes(mt5: DemoTerminal) -> None:
    end = datetime.fromtimestamp(mt5.clock(), UTC)
    rates = mt5.copy_rates_range("EURUSD", c.TIMEFRAME_H1, end - timedelta(days=3), end)
    assert rates.dtype.names == ("time", "open", "high", "low", "close", "tick_volume", "spread", "real_volume")
    assert [rates.dtype[i].str for i in range(8)] == ["<i8", "<f8", "<f8", "<f8", "<f8", "<u8", "<i4", "<u8"]
    assert np.all(np.diff(rates["time"]) > 0) and np.all(rates["high"] >= rates["low"])
    assert len(mt5.copy_rates_from_pos("EURUSD", c.TIMEFRAME_M5, 0, 50)) == 50
    assert len(mt5.copy_rates_from("XAUUSD", c.TIMEFRAME_D1, end, 10)) == 10
    ticks = mt5.copy_ticks_range("EURUSD", end - timedelta(minutes=10), end, c.COPY_TICKS_ALL)
    assert ticks.dtype.names == ("time", "bid", "ask", "last", "volume", "time_msc", "flags", "volume_real")
    assert [ticks.dtype[i].str for i in range(8)] == ["<i8", "<f8", "<f8", "<f8", "<u8", "<i8", "<u4", "<f8"]
    assert len(ticks) > 100 and np.all(ticks["ask"] > ticks["bid"])
    assert np.all(ticks["time_msc"] // 1000 == ticks["time"])
    assert len(mt5.copy_ticks_from("EURUSD", end - timedelta(hours=1), 25, c.COPY_TICKS_INFO)) == 25
    assert mt5.copy_rates_from_pos("EURUSD", 999, 0, 10) is None and mt5.last_error()[0] == -2


def test_times_are_server_clock_with_a_dst_switch(mt5: DemoTerminal, clock) -> None:
    zone = mt5.zone
    assert zone.offset_at(datetime(2026, 7, 1, tzinfo=UTC)) == timedelta(hours=3)
    assert zone.offset_at(datetime(2026, 1, 1, tzinfo=UTC)) == timedelta(hours=2)
    tick = mt5.symbol_info_tick("EURUSD")
    # Server clock runs two hours ahead of UTC in November: the newest quote looks like the future.
    assert tick.time - clock.now == pytest.approx(7200, abs=5)
    # A D1 bar opens at server midnight, i.e. 22:00 UTC the day before (21:00 in summer).
    bars = mt5.copy_rates_range("EURUSD", c.TIMEFRAME_D1, datetime(2026, 7, 6, tzinfo=UTC),
                                datetime(2026, 7, 7, tzinfo=UTC))
    assert datetime.fromtimestamp(int(bars["time"][0]), UTC) == datetime(2026, 7, 6, tzinfo=UTC)


def test_prices_move_and_the_terminal_is_deterministic(clock) -> None:
    one, two, other = (DemoTerminal(seed=seed, clock=clock) for seed in (1, 1, 2))
    for t in (one, two, other):
        t.initialize()
        t.login(88001003)
    assert all_deals(one) == all_deals(two)
    assert all_deals(one) != all_deals(other)
    first = one.symbol_info_tick("EURUSD").bid
    clock.advance(600)
    assert one.symbol_info_tick("EURUSD").bid != first
    assert one.account_info() == two.account_info()


def test_deals_appear_as_the_clock_passes_them(clock) -> None:
    mt5 = DemoTerminal(seed=1, clock=clock)
    mt5.initialize()
    mt5.login(88001003)
    before = all_deals(mt5)
    clock.advance(3 * 86400)
    after = all_deals(mt5)
    assert len(after) > len(before) and after[: len(before)] == before


def test_position_filters(mt5: DemoTerminal) -> None:
    mt5.login(88001003)
    positions = mt5.positions_get()
    assert positions, "the fixed clock leaves DYNAMIC with open positions"
    first = positions[0]
    assert mt5.positions_get(ticket=first.ticket) == (first,)
    assert mt5.positions_get(ticket=1) == ()
    assert all(p.symbol == first.symbol for p in mt5.positions_get(symbol=first.symbol))
    # a symbol makes the ticket ignored
    assert mt5.positions_get(symbol=first.symbol, ticket=1) == mt5.positions_get(symbol=first.symbol)
    assert mt5.positions_total() == len(positions)
