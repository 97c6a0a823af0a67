"""GUI test fixtures: offscreen Qt, temporary QSettings, no modal dialogs, clean teardown."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QDrag  # noqa: E402
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QMessageBox  # noqa: E402


@pytest.fixture(autouse=True)
def temp_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every test reads and writes settings in a fresh folder, never the user's."""
    path = str(tmp_path_factory.mktemp("settings"))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, path)
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, path)
    yield path


@pytest.fixture(autouse=True)
def temp_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """Autosaves and their lock files go to a fresh folder, never the user's data folder."""
    path = str(tmp_path_factory.mktemp("data"))
    monkeypatch.setenv("GRAPHGUI_DATA_DIR", path)
    return path


@pytest.fixture(autouse=True)
def empty_clipboard_after_test() -> Iterator[None]:
    """Leave nothing on the clipboard: with the offscreen platform (PySide6 6.11), mime data
    still on the clipboard when Python exits crashes the interpreter at teardown (exit 139,
    after every test passed). A real X11 session does not crash (checked under Xvfb)."""
    yield
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal dialog would hang the run: make opening one fail the test instead."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a modal dialog or blocking loop was opened in a test: {args!r}")

    for name in ("critical", "warning", "information", "question", "about", "aboutQt"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))
    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory",
                 "getOpenFileNames"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse))
    monkeypatch.setattr(QDialog, "exec", refuse)
    monkeypatch.setattr(QMessageBox, "exec", refuse)
    monkeypatch.setattr(QMenu, "exec", refuse)
    monkeypatch.setattr(QDrag, "exec", refuse)


@pytest.fixture
def make_window(qtbot: Any) -> Iterator[Callable[..., Any]]:
    """Factory for shown main windows; each is marked clean and closed at teardown."""
    from graphgui.gui.main_window import MainWindow

    windows = []

    def make(document: Any = None) -> MainWindow:
        window = MainWindow(document)
        window.resize(1200, 800)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.document is not None:
            window.document.set_clean()
        window._close_guards.clear()
        window.close()
        window.deleteLater()
    # Non-modal dialogs a test opened (Keyboard Shortcuts...) must not stay on top of the
    # next test's window, where they would take its mouse events.
    from PySide6.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and widget not in windows:
            widget.close()


@pytest.fixture
def window(make_window: Callable[..., Any]) -> Any:
    return make_window()
