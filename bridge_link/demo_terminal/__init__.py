"""A deterministic, module-like MetaTrader5 terminal for Linux, tests and the embedded demo.

    from bridge_link.demo_terminal import DemoTerminal
    mt5 = DemoTerminal(seed=1)
    mt5.initialize(); mt5.account_info(); mt5.history_deals_get(date_from, date_to)
"""

from .terminal import DEMO_HISTORY_START, DemoTerminal

__all__ = ["DEMO_HISTORY_START", "DemoTerminal"]
