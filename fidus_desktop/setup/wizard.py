"""The first-run wizard as a state machine, Qt-free (as Electrum's ``wizard.py``): the dialog
in ``ui/settings/wizard_dialog.py`` only renders :attr:`FirstRunWizard.step` and passes the
manager's input into :attr:`FirstRunWizard.data`.

Steps: where the fund lives (the demo fund, an empty fund on this computer, or the web
platform's MongoDB) -> the MongoDB address (tested before going on) -> the MT5 source -> the
terminal on this computer, or the bridges -> Google (later, from the settings) -> a summary.
Each step can be skipped: skipping keeps that step's default (the demo fund, the demo MT5
terminal, Google later). Every choice is a setting, so the settings dialog reaches each again
(and can run the wizard again). :meth:`FirstRunWizard.plan` is what :func:`.session.save_with_secrets`
applies.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..config import BridgeEndpoint, Settings
from ..errors import ValidationError
from .rules import bridge_key_entry, mt5_problems, storage_problems
from bridge_link.terminals import find_terminals


class Step(enum.StrEnum):
    START = "start"
    MONGODB = "mongodb"
    MT5 = "mt5"
    MT5_DIRECT = "mt5_direct"
    MT5_BRIDGES = "mt5_bridges"
    GOOGLE = "google"
    SUMMARY = "summary"


Start = Literal["demo", "empty", "mongodb"]
Source = Literal["demo", "direct", "bridge"]


@dataclass
class BridgeDraft:
    name: str = ""
    url: str = ""
    #: The key as typed ("" keeps the one in the keyring); never shown again.
    api_key: str = field(default="", repr=False)
    entry: str = ""


@dataclass
class WizardData:
    start: Start = "demo"
    mongo_uri: str = field(default="", repr=False)
    mongo_database: str = "fidus_production"
    #: The address that answered the last test (the step goes on only with that one).
    mongo_tested: str = field(default="", repr=False)
    mt5_source: Source = "demo"
    terminal_path: str = ""
    portable: bool = False
    login: int = 0
    server: str = ""
    mt5_password: str = field(default="", repr=False)
    bridges: list[BridgeDraft] = field(default_factory=list)
    #: Open the settings' Google page once the fund is open.
    open_google: bool = False


@dataclass(frozen=True, slots=True)
class SetupPlan:
    settings: Settings
    #: Keyring entry -> value, written before the settings are saved.
    secrets: dict[str, str]
    open_google: bool


Next = Callable[[WizardData], Step | None]

#: Where each step leads, decided on what was chosen so far.
FLOW: dict[Step, Next] = {
    Step.START: lambda d: Step.MONGODB if d.start == "mongodb" else Step.MT5,
    Step.MONGODB: lambda d: Step.MT5,
    Step.MT5: lambda d: {"direct": Step.MT5_DIRECT, "bridge": Step.MT5_BRIDGES}.get(d.mt5_source, Step.GOOGLE),
    Step.MT5_DIRECT: lambda d: Step.GOOGLE,
    Step.MT5_BRIDGES: lambda d: Step.GOOGLE,
    Step.GOOGLE: lambda d: Step.SUMMARY,
    Step.SUMMARY: lambda d: None,
}


def _skip_start(d: WizardData) -> None:
    d.start = "demo"


def _skip_mongodb(d: WizardData) -> None:
    d.start, d.mongo_uri, d.mongo_tested = "demo", "", ""


def _skip_mt5(d: WizardData) -> None:
    d.mt5_source = "demo"


def _skip_google(d: WizardData) -> None:
    d.open_google = False


#: What skipping a step leaves: that step's default.
SKIP: dict[Step, Callable[[WizardData], None]] = {
    Step.START: _skip_start, Step.MONGODB: _skip_mongodb, Step.MT5: _skip_mt5, Step.MT5_DIRECT: _skip_mt5,
    Step.MT5_BRIDGES: _skip_mt5, Step.GOOGLE: _skip_google,
}


class FirstRunWizard:
    def __init__(self, settings: Settings, *, saved_secrets: frozenset[str] = frozenset(),
                 terminals: Callable[[], tuple[Path, ...]] = find_terminals, first_run: bool = True) -> None:
        self.base = settings
        #: False when run again from the settings: the fund is open already.
        self.first_run = first_run
        self.saved = saved_secrets
        self._terminals = terminals
        storage, mt5 = settings.storage, settings.mt5
        self.data = WizardData(
            start="mongodb" if storage.backend == "mongodb" else ("demo" if storage.demo_on_first_run else "empty"),
            mongo_database=storage.mongo_database, mt5_source=mt5.source, terminal_path=mt5.terminal_path,
            portable=mt5.portable, login=mt5.login, server=mt5.server,
            bridges=[BridgeDraft(b.name, b.url, "", b.api_key_secret) for b in mt5.bridges])
        self.history: list[Step] = [Step.START]
        self._found: tuple[Path, ...] | None = None

    def terminals(self) -> tuple[Path, ...]:
        """The MT5 terminals installed here (the first call looks at the disk: make it in a lane;
        the dialog does so when it shows the terminal step)."""
        if self._found is None:
            self._found = self._terminals()
        return self._found

    # ---- where we are --------------------------------------------------------------------------

    @property
    def step(self) -> Step:
        return self.history[-1]

    @property
    def can_go_back(self) -> bool:
        return len(self.history) > 1

    @property
    def can_skip(self) -> bool:
        return self.step in SKIP

    @property
    def is_last(self) -> bool:
        return FLOW[self.step](self.data) is None

    def _advance(self) -> Step:
        following = FLOW[self.step](self.data)
        if following is None:
            raise RuntimeError("the summary is the last step: call plan()")
        self.history.append(following)
        return following

    # ---- moving --------------------------------------------------------------------------------

    def problems(self, step: Step | None = None) -> dict[str, str]:
        """Why the step cannot be left with Next (empty: it can)."""
        step = step or self.step
        plan = self._settings()
        has = self._has_secret
        if step is Step.MONGODB:
            return storage_problems(plan, has, self.data.mongo_uri.strip(), self.data.mongo_tested)
        if step in (Step.MT5_DIRECT, Step.MT5_BRIDGES):
            return mt5_problems(plan.mt5, has, self._secrets(), self.terminals)
        return {}

    def next(self) -> Step:
        """The next step; raises :class:`ValidationError` (nothing moves) when this one is incomplete."""
        problems = self.problems()
        if problems:
            raise ValidationError(next(iter(problems.values())), problems)
        return self._advance()

    def skip(self) -> Step:
        """Leave this step with its default and go on."""
        if not self.can_skip:
            raise RuntimeError(f"the {self.step} step cannot be skipped")
        SKIP[self.step](self.data)
        return self._advance()

    def back(self) -> Step:
        if self.can_go_back:
            self.history.pop()
        return self.step

    def mongo_checked(self, uri: str) -> None:
        """The dialog's test of ``uri`` succeeded."""
        self.data.mongo_tested = uri.strip()

    # ---- the result ------------------------------------------------------------------------------

    def _has_secret(self, entry: str) -> bool:
        return entry in self.saved or entry in self._secrets()

    def _bridge_entries(self) -> list[str]:
        entries: list[str] = []
        for bridge in self.data.bridges:
            entry = bridge.entry or bridge_key_entry(bridge.name, entries)
            if entry in entries:
                entry = bridge_key_entry(bridge.name, entries)
            entries.append(entry)
        return entries

    def _settings(self) -> Settings:
        d, base = self.data, self.base
        storage = dataclasses.replace(base.storage, backend="mongodb" if d.start == "mongodb" else "sqlite",
                                      mongo_database=d.mongo_database.strip() or base.storage.mongo_database,
                                      demo_on_first_run=d.start != "empty")
        bridges = tuple(BridgeEndpoint(b.name.strip(), b.url.strip(), entry)
                        for b, entry in zip(d.bridges, self._bridge_entries(), strict=True)
                        if b.name.strip() or b.url.strip())
        mt5 = dataclasses.replace(base.mt5, source=d.mt5_source, terminal_path=d.terminal_path.strip(),
                                  portable=d.portable, login=d.login, server=d.server.strip(), bridges=bridges)
        return base.replace(storage=storage, mt5=mt5)

    def _secrets(self) -> dict[str, str]:
        d, settings = self.data, self.base
        secrets: dict[str, str] = {}
        if d.start == "mongodb" and d.mongo_uri.strip():
            secrets[settings.storage.mongo_uri_secret] = d.mongo_uri.strip()
        if d.mt5_source == "direct" and d.mt5_password:
            secrets[settings.mt5.password_secret] = d.mt5_password
        if d.mt5_source == "bridge":
            for bridge, entry in zip(d.bridges, self._bridge_entries(), strict=True):
                if bridge.api_key.strip():
                    secrets[entry] = bridge.api_key.strip()
        return secrets

    def plan(self) -> SetupPlan:
        """What to apply (from the summary, or whenever the wizard is left: what was chosen so far
        on the steps passed, the defaults elsewhere)."""
        passed = set(self.history[:-1]) if self.step is not Step.SUMMARY else set(self.history)
        d = self.data
        if Step.MONGODB not in passed and d.start == "mongodb":
            d.start = "demo"  # an address that was never tested is never used
        if d.mt5_source == "direct" and Step.MT5_DIRECT not in passed:
            d.mt5_source = "demo"
        if d.mt5_source == "bridge" and Step.MT5_BRIDGES not in passed:
            d.mt5_source = "demo"
        return SetupPlan(self._settings(), self._secrets(), d.open_google)

    def summary(self) -> list[str]:
        """One line per choice, for the last step."""
        d = self.data
        fund = {"demo": "On this computer, starting with the demo fund (to try the app; its records "
                        "can be deleted).",
                "empty": "On this computer, starting empty.",
                "mongodb": f"In the MongoDB tested, database {d.mongo_database}."}[d.start]
        if not self.first_run and d.start != "mongodb":
            fund = "On this computer (the demo fund is loaded only into a new, empty fund)."
        if not self.first_run and self._settings().storage.backend != self.base.storage.backend:
            fund += " Restart FIDUS Desktop to open it."
        if d.mt5_source == "direct":
            mt5 = f"MetaTrader 5 on this computer ({d.terminal_path or 'the terminal found'}" + \
                  (", portable" if d.portable else "") + (f", login {d.login}" if d.login else "") + ")."
        elif d.mt5_source == "bridge":
            mt5 = "MT5 bridges, in this order: " + ", ".join(b.name for b in d.bridges if b.name) + "."
        else:
            mt5 = "The demo MT5 terminal (choose a real source any time in Settings → MT5)."
        google = ("Google: the settings' Google page opens next." if d.open_google
                  else "Google: later, from Settings → Google.")
        return [f"Fund: {fund}", f"MT5: {mt5}", google, "Everything here can be changed in Settings (Ctrl+,)."]
