"""MT5 monitoring in the Qt-free core: what the MT5 panel computes from what the sources return.

- :mod:`.deals`: the deal vocabulary (types, entries) and the balance walk of mt5-api.md §10;
- :mod:`.stats`: trading statistics over a deal history (issue 10 item 4), defined once;
- :mod:`.charts`: chart series as numpy arrays (balance, equity, drawdown, daily P&L, growth);
- :mod:`.history`: equity/balance snapshots kept in the local cache, with their retention;
- :mod:`.alerts` and :mod:`.alert_history`: alert rules over the monitor's boards, and their log;
- :mod:`.managers`: money managers' TRUE P&L, performance fees and broker rebates.
"""
