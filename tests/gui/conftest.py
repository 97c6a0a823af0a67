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
        # What closing does before the window goes: running training and landscape work
        # stopped (a QThread deleted while it runs aborts the process). The unsaved-work
        # prompt is not asked: the document was just marked clean.
        for guard in window._close_guards:
            if getattr(guard, "__name__", "") != "_guard_unsaved":
                guard()
        window._close_guards.clear()
        window.close()
        window.deleteLater()
    # Deleted now: no event loop turns between tests to deliver the deferred deletes, and
    # windows kept until exit are torn down there in no order.
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


@pytest.fixture
def window(make_window: Callable[..., Any]) -> Any:
    return make_window()


@pytest.fixture(autouse=True)
def clear_undo_stacks_after_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Empty every Document's undo stack a test made. A QUndoStack still holding Python
    QUndoCommands when the garbage collector frees it crashes the interpreter (exit 139
    after every test passed; seen with documents made without a window, PySide6 6.11)."""
    from graphgui.gui.document import Document

    made: list[Document] = []
    real_init = Document.__init__

    def tracking_init(self: Document, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Document, "__init__", tracking_init)
    yield
    import shiboken6

    for doc in made:
        if shiboken6.isValid(doc) and shiboken6.isValid(doc.undo_stack):
            doc.undo_stack.clear()
    # A landscape job left computing would answer (or slow) the next test.
    from graphgui.gui.panels.landscape.runner import stop_all

    stop_all()
