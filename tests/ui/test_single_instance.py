"""One window per fund: a second start on the same data folder hands its arguments to the
running window and exits; a lock left by a crashed window is taken over; another fund is free."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fidus_desktop.paths import AppPaths
from ui.single_instance import LOCK_NAME, SingleInstance, server_name

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def running(qapp, tmp_path):
    """This test process as the window already open on the fund."""
    paths = AppPaths.under(tmp_path / "home")
    instance = SingleInstance(paths.data_dir)
    assert instance.acquire() and instance.listen()
    yield paths, instance
    instance.release()


def start_app(home: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, FIDUS_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "fidus_desktop", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_second_start_hands_over_its_arguments_and_exits(qtbot, running, tmp_path):
    paths, instance = running
    received: list[list[str]] = []
    instance.arguments_received.connect(received.append)
    second = start_app(tmp_path / "home", "--database", "fidus_other")
    # Qt events are processed while waiting, so this process's server answers the second one.
    qtbot.waitUntil(lambda: second.poll() is not None, timeout=60000)
    _, err = second.communicate()
    assert second.returncode == 0, err
    assert "brought to the front" in err
    assert received == [["--database", "fidus_other"]]
    assert not (paths.log_file).exists()  # it never opened the log the first one rotates


def test_the_running_window_comes_forward_and_says_why_options_were_not_used(qtbot, make_window):
    window = make_window()
    window.showMinimized()
    window.receive_arguments(["--mongo-uri", "mongodb://elsewhere/"])
    assert not window.isMinimized()
    qtbot.waitUntil(lambda: any("already open on this fund" in m for m in window.banners.messages()), timeout=3000)


def test_a_lock_left_by_a_crashed_window_is_taken_over(qapp, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    crash = ("import os, sys\nfrom PySide6.QtCore import QLockFile\nlock = QLockFile(sys.argv[1])\n"
             "lock.setStaleLockTime(0)\nassert lock.tryLock(0)\nos._exit(0)  # no unlock: a crash\n")
    subprocess.run([sys.executable, "-c", crash, str(data / LOCK_NAME)], check=True, timeout=60)
    assert (data / LOCK_NAME).exists()
    instance = SingleInstance(data)
    try:
        assert instance.acquire()
    finally:
        instance.release()


def test_a_window_that_does_not_answer_is_reported_not_waited_for(qapp, tmp_path):
    holder = SingleInstance(tmp_path / "data")
    assert holder.acquire()  # holds the lock but never listens (hung)
    try:
        second = SingleInstance(tmp_path / "data")
        assert not second.acquire()
        assert not second.hand_over(["--smoke"])
    finally:
        holder.release()


def test_each_fund_and_each_user_has_its_own_channel(tmp_path):
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")
