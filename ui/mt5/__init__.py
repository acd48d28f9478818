"""The MT5 panel: live accounts, positions and deals, with where the numbers come from."""
