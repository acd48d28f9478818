"""The first-run wizard's state machine, headless: each path through it, skipping, going back,
refusing to go on with what cannot work, and what it applies."""

from __future__ import annotations


import pytest

from fidus_desktop.config import BridgeEndpoint, Mt5Settings, Settings, StorageSettings
from fidus_desktop.errors import ValidationError
from fidus_desktop.setup.wizard import BridgeDraft, FirstRunWizard, Step

KEY = "k" * 24
NO_TERMINALS = lambda: ()  # noqa: E731


def wizard(settings: Settings | None = None, **kwargs) -> FirstRunWizard:
    kwargs.setdefault("terminals", NO_TERMINALS)
    return FirstRunWizard(settings or Settings(), **kwargs)


def test_skipping_every_step_starts_on_the_demo_fund_and_the_demo_terminal():
    w = wizard()
    visited = [w.step]
    while w.can_skip:
        visited.append(w.skip())
    assert visited == [Step.START, Step.MT5, Step.GOOGLE, Step.SUMMARY] and w.is_last
    plan = w.plan()
    assert plan.settings.storage.backend == "sqlite" and plan.settings.storage.demo_on_first_run
    assert plan.settings.mt5.source == "demo" and plan.secrets == {} and not plan.open_google


def test_an_empty_fund_with_two_bridges():
    w = wizard()
    w.data.start = "empty"
    assert w.next() is Step.MT5
    w.data.mt5_source = "bridge"
    assert w.next() is Step.MT5_BRIDGES
    with pytest.raises(ValidationError) as caught:
        w.next()
    assert "mt5.bridges" in caught.value.fields
    w.data.bridges = [BridgeDraft("VPS 1", "https://vps1.example.net", KEY), BridgeDraft("VPS 2", "http://10.0.0.2:8000")]
    with pytest.raises(ValidationError) as caught:  # the second has no key
        w.next()
    assert set(caught.value.fields) == {"mt5.bridges[1].api_key"}
    w.data.bridges[1].api_key = "short"
    with pytest.raises(ValidationError, match="16 characters"):
        w.next()
    w.data.bridges[1].api_key = KEY + "2"
    assert w.next() is Step.GOOGLE
    assert w.next() is Step.SUMMARY
    plan = w.plan()
    assert plan.settings.storage.backend == "sqlite" and not plan.settings.storage.demo_on_first_run
    assert plan.settings.mt5.bridges == (BridgeEndpoint("VPS 1", "https://vps1.example.net", "bridge-vps-1-key"),
                                         BridgeEndpoint("VPS 2", "http://10.0.0.2:8000", "bridge-vps-2-key"))
    assert plan.secrets == {"bridge-vps-1-key": KEY, "bridge-vps-2-key": KEY + "2"}
    assert any("VPS 1, VPS 2" in line for line in w.summary())


def test_the_mongodb_step_goes_on_only_with_a_tested_address():
    w = wizard()
    w.data.start = "mongodb"
    assert w.next() is Step.MONGODB
    with pytest.raises(ValidationError, match="Enter the MongoDB address"):
        w.next()
    uri = "mongodb+srv://manager:s3cret@cluster0.example.net/"
    w.data.mongo_uri = uri
    with pytest.raises(ValidationError, match="Test this address first"):
        w.next()
    w.mongo_checked(uri)
    w.data.mongo_uri = uri + "other"  # edited after the test: tested again
    with pytest.raises(ValidationError):
        w.next()
    w.data.mongo_uri = uri
    assert w.next() is Step.MT5
    plan = w.plan()
    assert plan.settings.storage.backend == "mongodb" and plan.secrets == {"mongodb-uri": uri}
    assert uri not in repr(w.data)


def test_skipping_the_mongodb_step_keeps_the_fund_on_this_computer():
    w = wizard()
    w.data.start = "mongodb"
    w.next()
    w.data.mongo_uri = "mongodb://half-typed"
    assert w.skip() is Step.MT5
    plan = w.plan()
    assert plan.settings.storage.backend == "sqlite" and plan.secrets == {}


def test_back_returns_along_the_path_taken():
    w = wizard()
    w.data.start = "mongodb"
    w.next()
    w.skip()
    w.data.mt5_source = "direct"
    assert w.next() is Step.MT5_DIRECT
    assert [w.back(), w.back(), w.back()] == [Step.MT5, Step.MONGODB, Step.START]
    assert not w.can_go_back and w.back() is Step.START


def test_the_direct_terminal_needs_a_path_when_several_are_installed(tmp_path):
    exes = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        exes.append(tmp_path / name / "terminal64.exe")
        exes[-1].write_bytes(b"MZ")
    w = wizard(terminals=lambda: tuple(exes))
    w.skip()
    w.data.mt5_source = "direct"
    w.next()
    with pytest.raises(ValidationError, match="2 MetaTrader 5 terminals are installed"):
        w.next()
    w.data.terminal_path, w.data.portable, w.data.login, w.data.mt5_password = str(exes[1]), True, 7001, "pw-7001"
    assert w.next() is Step.GOOGLE
    plan = w.plan()
    assert (plan.settings.mt5.terminal_path, plan.settings.mt5.portable, plan.settings.mt5.login) == (
        str(exes[1]), True, 7001)
    assert plan.secrets == {"mt5-password": "pw-7001"}


def test_leaving_in_the_middle_applies_only_the_steps_passed():
    w = wizard()
    w.data.start = "empty"
    w.next()
    w.data.mt5_source = "bridge"
    w.next()
    w.data.bridges = [BridgeDraft("half", "https://", KEY)]  # never validated
    plan = w.plan()
    assert plan.settings.mt5.source == "demo" and not plan.settings.storage.demo_on_first_run


def test_run_again_from_the_settings_it_starts_from_them_and_keeps_saved_keys():
    settings = Settings(storage=StorageSettings(backend="mongodb"),
                        mt5=Mt5Settings(source="bridge", bridges=(BridgeEndpoint("vps", "https://vps", "bridge-vps-key"),)))
    w = wizard(settings, saved_secrets=frozenset({"mongodb-uri", "bridge-vps-key"}), first_run=False)
    assert (w.data.start, w.data.mt5_source, w.data.bridges[0].entry) == ("mongodb", "bridge", "bridge-vps-key")
    assert w.next() is Step.MONGODB
    assert w.next() is Step.MT5  # the address in the keyring is kept
    assert w.next() is Step.MT5_BRIDGES
    assert w.next() is Step.GOOGLE  # its key is in the keyring
    w.next()
    plan = w.plan()
    assert plan.settings == settings and plan.secrets == {}


def test_the_summary_cannot_be_skipped_or_passed():
    w = wizard()
    for _ in range(3):
        w.skip()
    assert w.step is Step.SUMMARY and not w.can_skip
    with pytest.raises(RuntimeError):
        w.skip()
    with pytest.raises(RuntimeError):
        w.next()
