"""The launcher explains a missing display or X11 library in one line (Qt would abort)."""

from __future__ import annotations

import sys

import pytest

from graphgui.cli import main
from graphgui.gui import display_check

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 only")


def test_no_display_is_explained():
    message = display_check.display_problem({})
    assert "DISPLAY is not set" in message and "graphgui --help" in message


@pytest.mark.parametrize("env", [{"QT_QPA_PLATFORM": "offscreen"},
                                 {"WAYLAND_DISPLAY": "wayland-0"}])
def test_other_platforms_are_left_to_qt(env):
    assert display_check.display_problem(env) is None


def test_a_missing_x11_library_is_named_with_the_packages(monkeypatch):
    def refuse(path):
        raise OSError(f"{path}: libxcb-icccm.so.4: cannot open shared object file: "
                      "No such file or directory")

    monkeypatch.setattr(display_check.ctypes, "CDLL", refuse)
    message = display_check.display_problem({"DISPLAY": ":0"})
    assert "libxcb-icccm.so.4 is missing" in message
    assert "sudo apt install" in message and "libxcb-icccm4" in message


def test_a_missing_xcb_cursor_is_named(monkeypatch):
    monkeypatch.setattr(display_check.ctypes, "CDLL", lambda path: None)
    monkeypatch.setattr(display_check.ctypes.util, "find_library", lambda name: None)
    assert "libxcb-cursor.so.0 is missing" in display_check.display_problem({"DISPLAY": ":0"})


def test_the_launcher_prints_one_line_and_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("graphgui: error: there is no display") and err.count("\n") == 1
