"""File handling in the editor: save/open, prompts, recent files, examples, drops, autosave.

Every question to the user goes through a FileController method that the ``prompts`` fixture
replaces, so no test can meet a real modal dialog (conftest also fails any that opens).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import canonical, settle
from PySide6.QtCore import QLockFile, QMimeData, QPoint, QPointF, QSaveFile, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from graphgui.core.examples import list_examples, load_example
from graphgui.core.expr import parse
from graphgui.gui import autosave
from graphgui.gui.document import Document
from graphgui.gui.files import MAX_RECENT, FileController

Button = QMessageBox.StandardButton


class Prompts:
    """Scripted answers for the controller's questions, and a record of what was asked."""

    def __init__(self) -> None:
        self.save_changes: list[Button] = []
        self.open_path: str | None = None
        self.save_path: str | None = None
        self.export_path: str | None = None
        self.restore: list[str] = []
        self.revert = True
        self.asked: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.save_suggestions: list[str] = []

    def install(self, fc: FileController) -> None:
        def ask_save_changes() -> Button:
            self.asked.append("save_changes")
            assert self.save_changes, "unexpected Save/Discard/Cancel prompt"
            return self.save_changes.pop(0)

        def ask_open_path() -> str | None:
            self.asked.append("open_path")
            return self.open_path

        def ask_save_path(suggested: str) -> str | None:
            self.asked.append("save_path")
            self.save_suggestions.append(suggested)
            return self.save_path

        def ask_export_path(suggested: str) -> str | None:
            self.asked.append("export_path")
            return self.export_path

        def ask_restore(orphan: Any) -> str:
            self.asked.append("restore")
            assert self.restore, "unexpected restore prompt"
            return self.restore.pop(0)

        def confirm_revert(name: str) -> bool:
            self.asked.append("revert")
            return self.revert

        def show_error(title: str, text: str) -> None:
            self.errors.append((title, text))

        for name, fn in list(locals().items()):
            if callable(fn) and name != "self":
                setattr(fc, name, fn)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Autosaves go to a fresh folder, never the user's."""
    folder = tmp_path / "data"
    monkeypatch.setenv(autosave.DATA_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def make_editor(make_window: Callable[..., Any]) -> Iterator[Callable[..., tuple[Any, Any]]]:
    made: list[FileController] = []

    def make(document: Any = None, check_crashed: bool = False) -> tuple[Any, Prompts]:
        window = make_window(document)
        fc = window.file_controller  # the window installs its own
        prompts = Prompts()
        prompts.install(fc)
        made.append(fc)
        return window, prompts

    yield make
    for fc in made:
        fc.shutdown()


@pytest.fixture
def editor(make_editor: Callable[..., Any]) -> tuple[Any, Prompts]:
    return make_editor()


def build_chain_rule(doc: Document) -> dict[str, str]:
    """f = (x + y) * z built by hand through the Document's edit methods."""
    ids = {
        "x": doc.add_node("input", (0, 0), name="x", value=-2.0),
        "y": doc.add_node("input", (0, 80), name="y", value=5.0),
        "z": doc.add_node("input", (0, 160), name="z", value=-4.0),
        "q": doc.add_node("add", (150, 40), name="q"),
        "f": doc.add_node("mul", (300, 100), name="f"),
    }
    doc.connect(ids["x"], ids["q"], 0)
    doc.connect(ids["y"], ids["q"], 1)
    doc.connect(ids["q"], ids["f"], 0)
    doc.connect(ids["z"], ids["f"], 1)
    return ids


def write_graph(path: Path, source: str = "a = 1\nb = a * 3\n") -> Path:
    from graphgui.core.fileformat import dumps

    path.write_text(dumps(parse(source)), encoding="utf-8")
    return path


# ---- menus ---------------------------------------------------------------------------------


def test_file_menu_toolbar_and_shortcuts(editor: Any) -> None:
    window, _ = editor
    fc = window.file_controller
    texts = [a.text().replace("&", "") for a in window.menu_file.actions() if a.text()]
    assert texts == ["New", "Open…", "Open Recent", "Examples", "Save", "Save As…", "Revert",
                     "Export Image…", "Export Code…", "Quit"]
    assert window.menu_file.actions()[-1] is window.action_quit
    toolbar = window.file_toolbar.actions()
    assert fc.action_open in toolbar and fc.action_save in toolbar
    for action in (fc.action_open, fc.action_save, fc.action_save_as, fc.action_export):
        assert action.shortcuts() and not action.shortcuts()[0].isEmpty()
    assert QKeySequence(QKeySequence.Open) in fc.action_open.shortcuts()
    assert QKeySequence(QKeySequence.Save) in fc.action_save.shortcuts()
    # Nothing saved yet: nothing to revert to.
    assert not fc.action_revert.isEnabled()


# ---- save and open -------------------------------------------------------------------------


def test_save_open_round_trip_through_actions(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    fc = window.file_controller
    doc = window.document
    build_chain_rule(doc)
    before = canonical(doc.graph)
    prompts.save_path = str(tmp_path / "chain")  # no extension: .json is added
    fc.action_save.trigger()  # untitled: Save asks where
    path = tmp_path / "chain.json"
    assert prompts.asked == ["save_path"]
    assert path.is_file()
    assert doc.path == str(path) and not doc.modified
    # The file holds what was built (read with json, not with the code under test).
    data = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(n["name"] for n in data["nodes"]) == ["f", "q", "x", "y", "z"]
    assert {n["name"]: n.get("value") for n in data["nodes"]}["y"] == 5.0

    window.action_new.trigger()  # clean: no prompt
    assert len(window.document.graph) == 0
    prompts.open_path = str(path)
    fc.action_open.trigger()
    assert window.document.path == str(path)
    assert canonical(window.document.graph) == before
    assert not window.document.modified
    assert prompts.asked == ["save_path", "open_path"]
    settle_eval = window.evaluator.evaluate_now()
    assert settle_eval.values[window.document.graph.find("f").id] == pytest.approx(-12.0)


def test_save_keeps_the_files_settings(editor: Any, tmp_path: Path) -> None:
    from graphgui.core.fileformat import dumps

    window, _ = editor
    fc = window.file_controller
    path = tmp_path / "with_settings.json"
    path.write_text(dumps(parse("a = 1\nb = a * 2\n"), {"stepper": {"speed": 3}}),
                    encoding="utf-8")
    assert fc.open_file(str(path))
    window.document.add_node("input", (0, 300), name="c", value=1.0)
    assert fc.save()
    assert json.loads(path.read_text(encoding="utf-8"))["settings"] == {"stepper": {"speed": 3}}


def test_title_shows_file_name_and_modified_marker(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    fc = window.file_controller
    doc = window.document
    assert not window.isWindowModified()
    doc.add_node("input", (0, 0), name="x", value=1.0)
    assert window.isWindowModified()
    assert window.windowTitle().startswith("untitled[*]")
    prompts.save_path = str(tmp_path / "marked.json")
    assert fc.save()
    assert window.windowTitle().startswith("marked.json[*]")
    assert not window.isWindowModified()
    doc.rename(doc.graph.find("x").id, "x2")
    assert window.isWindowModified() and fc.action_revert.isEnabled()
    doc.undo_stack.undo()  # back to the saved state
    assert not window.isWindowModified() and not fc.action_revert.isEnabled()


def test_save_writes_in_place_once_titled(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    fc = window.file_controller
    path = write_graph(tmp_path / "g.json")
    assert fc.open_file(str(path))
    window.document.add_node("input", (0, 200), name="extra", value=2.0)
    fc.action_save.trigger()
    assert "save_path" not in prompts.asked  # has a path: no question
    names = {n["name"] for n in json.loads(path.read_text(encoding="utf-8"))["nodes"]}
    assert "extra" in names
    # Save As asks, suggests the current file, and moves the document to the new file.
    prompts.save_path = str(tmp_path / "copy.json")
    fc.action_save_as.trigger()
    assert prompts.save_suggestions[-1] == str(path)
    assert window.document.path == str(tmp_path / "copy.json")
    assert (tmp_path / "copy.json").read_bytes() == path.read_bytes()


# ---- unsaved changes -----------------------------------------------------------------------


@pytest.mark.parametrize("answer", [Button.Cancel, Button.Discard, Button.Save])
def test_unsaved_prompt_on_close(make_editor: Any, tmp_path: Path, answer: Button) -> None:
    window, prompts = make_editor()
    window.document.add_node("input", (0, 0), name="x", value=1.0)
    prompts.save_changes = [answer]
    prompts.save_path = str(tmp_path / "on_close.json")
    closed = window.close()
    assert prompts.asked[0] == "save_changes"
    if answer == Button.Cancel:
        assert not closed and window.isVisible() and window.document.modified
    else:
        assert closed and not window.isVisible()
    assert (tmp_path / "on_close.json").exists() == (answer == Button.Save)


def test_failed_save_in_the_prompt_keeps_the_window_open(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    window.document.add_node("input", (0, 0), name="x", value=1.0)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    prompts.save_changes = [Button.Save]
    prompts.save_path = str(blocker / "g.json")  # its parent is a file: cannot be written
    assert not window.close()
    assert window.isVisible() and window.document.modified
    assert prompts.errors and prompts.errors[0][0] == "Save failed"


@pytest.mark.parametrize("how", ["new", "open", "example", "recent"])
@pytest.mark.parametrize("answer", [Button.Cancel, Button.Discard, Button.Save])
def test_unsaved_prompt_before_replacing(
    editor: Any, tmp_path: Path, how: str, answer: Button
) -> None:
    window, prompts = editor
    fc = window.file_controller
    other = write_graph(tmp_path / "other.json")
    fc.add_recent(str(other))
    doc = window.document
    doc.add_node("input", (0, 0), name="mine", value=1.0)
    prompts.save_changes = [answer]
    prompts.save_path = str(tmp_path / "mine.json")
    prompts.open_path = str(other)
    if how == "new":
        window.action_new.trigger()
    elif how == "open":
        fc.action_open.trigger()
    elif how == "example":
        fc.example_actions["chain_rule"].trigger()
    else:
        fc.menu_recent.actions()[0].trigger()
    assert "save_changes" in prompts.asked
    if answer == Button.Cancel:
        assert window.document is doc and doc.modified
        assert doc.graph.find("mine") is not None
    else:
        assert window.document is not doc
        assert window.document.graph.find("mine") is None
    saved = tmp_path / "mine.json"
    assert saved.exists() == (answer == Button.Save)
    if answer == Button.Save:
        names = [n["name"] for n in json.loads(saved.read_text(encoding="utf-8"))["nodes"]]
        assert names == ["mine"]


# ---- bad files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"format": "graphgui", "version": 1, "nodes": [\n', "not valid JSON"),
        ('{"format": "graphgui", "version": 1, "title": "", "description": "", "output": null,'
         ' "nodes": [{"id": "n1", "op": "sigmod", "name": "s", "params": {}, "pos": [0, 0]}],'
         ' "edges": []}', "sigmod"),
        ('{"format": "graphgui", "version": 99, "nodes": [], "edges": []}', "newer graphgui"),
        ("[1, 2, 3]", "top level"),
    ],
)
def test_malformed_file_leaves_document_untouched(
    editor: Any, tmp_path: Path, text: str, expected: str
) -> None:
    window, prompts = editor
    fc = window.file_controller
    doc = window.document
    build_chain_rule(doc)
    before = canonical(doc.graph)
    count = doc.undo_stack.count()
    bad = tmp_path / "broken.json"
    bad.write_text(text, encoding="utf-8")
    assert not fc.open_file(str(bad))
    assert window.document is doc
    assert canonical(doc.graph) == before
    assert doc.undo_stack.count() == count and doc.modified
    assert "save_changes" not in prompts.asked  # a bad file costs no Save/Discard question
    (title, message), = prompts.errors
    assert title == "Cannot open file"
    assert "broken.json" in message and expected in message
    assert "\n" not in message  # one line
    assert expected in window.statusBar().currentMessage()


def test_missing_file_error_names_it(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    fc = window.file_controller
    assert not fc.open_file(str(tmp_path / "nowhere.json"))
    (_, message), = prompts.errors
    assert "nowhere.json" in message and "No such file" in message


def test_failed_save_parent_is_a_file(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    fc = window.file_controller
    window.document.add_node("input", (0, 0), name="x", value=1.0)
    blocker = tmp_path / "plain_file"
    blocker.write_text("x")
    target = blocker / "graph.json"
    assert not fc.save_to(str(target))
    assert not target.exists() and blocker.read_text() == "x"
    assert window.document.modified and window.document.path is None
    (title, message), = prompts.errors
    assert title == "Save failed" and "graph.json" in message
    assert "Could not save graph.json" in window.statusBar().currentMessage()


def test_failed_commit_leaves_old_file_byte_identical(
    editor: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, prompts = editor
    fc = window.file_controller
    path = write_graph(tmp_path / "keep.json")
    old = path.read_bytes()
    assert fc.open_file(str(path))
    window.document.add_node("input", (0, 300), name="new", value=7.0)
    monkeypatch.setattr(QSaveFile, "commit", lambda self: False)
    fc.action_save.trigger()
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert window.document.modified  # the work is still unsaved
    assert prompts.errors and prompts.errors[0][0] == "Save failed"
    assert sorted(os.listdir(tmp_path)) == ["data", "keep.json"]  # no temporary files left


def test_unwritable_graph_is_refused_before_touching_the_file(
    editor: Any, tmp_path: Path
) -> None:
    window, prompts = editor
    fc = window.file_controller
    path = write_graph(tmp_path / "keep.json")
    old = path.read_bytes()
    assert fc.open_file(str(path))
    window.document.graph.title = "lone \ud800 surrogate"  # text UTF-8 cannot hold
    window.document.undo_stack.resetClean()
    assert not fc.save()
    assert path.read_bytes() == old
    assert "not valid Unicode" in prompts.errors[0][1]
    assert window.document.modified


# ---- revert --------------------------------------------------------------------------------


def test_settings_changed_in_the_editor_survive_save_open_and_revert(
    editor: Any, tmp_path: Path
) -> None:
    from graphgui.core.fileformat import dumps

    window, prompts = editor
    fc = window.file_controller
    path = tmp_path / "net.json"
    path.write_text(dumps(parse("w = param(1)\nL = w * w\n"), {"training": {"epochs": 5}}),
                    encoding="utf-8")
    assert fc.open_file(str(path))
    doc = window.document
    assert doc.settings == {"training": {"epochs": 5}}
    # What the Trainer dock does: a settings change marks the document modified.
    doc.set_setting("training", {"epochs": 50, "lr": 0.1})
    assert doc.modified
    assert fc.save() and not doc.modified
    assert json.loads(path.read_text(encoding="utf-8"))["settings"] == {
        "training": {"epochs": 50, "lr": 0.1}}
    window.action_new.trigger()
    assert window.document.settings == {}
    assert fc.open_file(str(path))
    assert window.document.settings == {"training": {"epochs": 50, "lr": 0.1}}
    # Revert drops an unsaved settings change and reads the file's.
    window.document.set_setting("training", {"epochs": 1})
    window.document.set_setting("initializer", {"seed": 3})
    fc.action_revert.trigger()
    assert window.document.settings == {"training": {"epochs": 50, "lr": 0.1}}
    # Save As writes them too.
    prompts.save_path = str(tmp_path / "copy.json")
    assert fc.save_as()
    assert json.loads((tmp_path / "copy.json").read_text(encoding="utf-8"))["settings"] == {
        "training": {"epochs": 50, "lr": 0.1}}


def test_revert_reloads_the_file(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    fc = window.file_controller
    path = write_graph(tmp_path / "r.json")
    fc.open_file(str(path))
    before = canonical(window.document.graph)
    window.document.add_node("input", (0, 300), name="junk", value=1.0)
    prompts.revert = False
    fc.action_revert.trigger()
    assert window.document.graph.find("junk") is not None
    prompts.revert = True
    fc.action_revert.trigger()
    assert canonical(window.document.graph) == before
    assert not window.document.modified and window.document.path == str(path)


# ---- recent files --------------------------------------------------------------------------


def test_recent_files_order_limit_missing_and_clear(
    make_editor: Any, tmp_path: Path
) -> None:
    window, _ = make_editor()
    fc = window.file_controller
    paths = [write_graph(tmp_path / f"g{k}.json") for k in range(12)]
    for p in paths:
        assert fc.open_file(str(p))
    recent = fc.recent_files()
    assert recent == [str(p) for p in reversed(paths)][:MAX_RECENT]
    # Opening one again moves it to the top without duplicates.
    fc.open_file(str(paths[5]))
    assert fc.recent_files()[0] == str(paths[5]) and len(set(fc.recent_files())) == MAX_RECENT
    entries = [a for a in fc.menu_recent.actions() if a.data()]
    assert [a.data() for a in entries] == fc.recent_files()
    assert entries[0].text().startswith("&1 ")

    # The list is shared through QSettings: a second window sees it.
    other, _ = make_editor()
    assert other.file_controller.recent_files() == fc.recent_files()

    # Missing files are dropped, with a status message.
    os.unlink(paths[11])
    os.unlink(paths[10])
    assert fc.prune_recent() == 2
    assert str(paths[11]) not in fc.recent_files()
    assert "Removed 2 missing files" in window.statusBar().currentMessage()
    # A recent entry that vanished since the menu was built is removed when chosen.
    os.unlink(paths[9])
    assert not fc.open_recent(str(paths[9]))
    assert str(paths[9]) not in fc.recent_files()

    fc.action_clear_recent.trigger()
    assert fc.recent_files() == []
    assert not fc.menu_recent.isEnabled()


def test_saving_adds_to_recent_and_graphgui_file_path_too(
    editor: Any, tmp_path: Path
) -> None:
    window, prompts = editor
    fc = window.file_controller
    prompts.save_path = str(tmp_path / "s.json")
    window.document.add_node("input", (0, 0), name="x", value=1.0)
    fc.save()
    assert fc.recent_files() == [str(tmp_path / "s.json")]
    # `graphgui FILE` opens through the file controller (app.run): it lands in the list too.
    other = write_graph(tmp_path / "cli.json")
    window.file_controller.open_file(str(other), check_unsaved=False)
    assert fc.recent_files()[0] == str(other)


# ---- examples ------------------------------------------------------------------------------


def test_examples_menu_opens_each_example(editor: Any, tmp_path: Path) -> None:
    window, prompts = editor
    fc = window.file_controller
    infos = list_examples()
    # The worked examples in teaching order, then the exercises in theirs.
    infos = ([i for i in infos if not i.name.startswith("exercise_")]
             + [i for i in infos if i.name.startswith("exercise_")])
    menu_actions = [a for a in fc.menu_examples.actions() if a.data() in fc.example_actions]
    worked = menu_actions[: len(infos)]
    assert [a.data() for a in worked] == [i.name for i in infos]
    for info, action in zip(infos, worked, strict=True):
        assert action.text() == info.title
        assert action.statusTip() == info.description
        assert info.description.split(".")[0] in action.toolTip()
        action.trigger()
        doc = window.document
        assert doc.path is None and not doc.modified
        assert canonical(doc.graph) == canonical(load_example(info.name))
        assert window.windowTitle().startswith(info.title)
        assert doc.settings == {}  # the worked examples carry no settings
    # Save asks for a path, suggesting the example's name.
    prompts.save_path = None  # the user cancels the file dialog
    fc.action_save.trigger()
    assert prompts.asked == ["save_path"] and window.document.path is None
    assert os.path.basename(prompts.save_suggestions[0]) == f"{infos[-1].name}.json"


def test_examples_menu_lists_training_examples_in_their_own_section(
    editor: Any, tmp_path: Path
) -> None:
    from graphgui.core.examples import list_training_examples

    window, prompts = editor
    fc = window.file_controller
    entries = fc.menu_examples.actions()
    training = list_training_examples()
    assert len(training) >= 8
    # Worked examples, exercises, training examples: each a heading and its entries.
    headings = [a for a in entries if not a.isSeparator() and a.data() is None]
    assert [h.text() for h in headings] == ["Worked examples",
                                            "Exercises: gradients hidden until you show them",
                                            "Training (data and settings included)"]
    assert not any(h.isEnabled() for h in headings)
    second, third = entries.index(headings[1]), entries.index(headings[2])
    assert entries[second - 1].isSeparator() and entries[third - 1].isSeparator()
    exercises = [a.data() for a in entries[second + 1:third - 1]]
    assert exercises and all(name.startswith("exercise_") for name in exercises)
    for name in exercises:
        assert "Show Gradients (Ctrl+2)" in fc.example_actions[name].toolTip()
    assert [a.data() for a in entries[third + 1:]] == [i.name for i in training]
    for info in training:
        fc.example_actions[info.name].trigger()
        doc = window.document
        assert doc.path is None and not doc.modified
        # The file's settings came along (read here with json, not with the loader).
        from graphgui.core.examples import example_path

        stored = json.loads(example_path(info.name).read_text(encoding="utf-8"))["settings"]
        assert doc.settings == stored and "training" in doc.settings
        assert window.windowTitle().startswith(info.title)
    # Saved under a new name, the settings are written with the graph.
    prompts.save_path = str(tmp_path / "trained.json")
    assert fc.save()
    data = json.loads((tmp_path / "trained.json").read_text(encoding="utf-8"))
    assert data["settings"] == stored


def test_exercises_open_with_gradients_hidden(editor: Any, qtbot: Any) -> None:
    window, _ = editor
    fc = window.file_controller
    grads = window.action_show_grads
    assert grads.isChecked()
    fc.example_actions["exercise_div"].trigger()
    assert not grads.isChecked() and not window.scene.state.show_grads
    message = window.statusBar().currentMessage()
    assert "gradients are hidden" in message and "Show Gradients" in message
    assert grads.shortcut().toString(QKeySequence.NativeText) in message
    panel = window.stepper_panel
    assert "Quiz Mode" in panel.message_label.text() and panel.message_kind == "info"
    # Showing them is the user's choice: the toggle brings them back.
    grads.trigger()
    assert window.scene.state.show_grads
    grads.trigger()  # hidden again by the user: a worked example leaves that alone
    fc.example_actions["chain_rule"].trigger()
    assert not grads.isChecked()
    grads.trigger()
    # Hidden by an exercise, they come back when a worked example replaces it.
    fc.example_actions["exercise_log"].trigger()
    assert not grads.isChecked()
    fc.example_actions["neuron"].trigger()
    assert grads.isChecked() and window.scene.state.show_grads
    assert "gradients are hidden" not in window.statusBar().currentMessage()


def test_an_exercise_open_at_exit_does_not_hide_gradients_next_time(editor: Any) -> None:
    from graphgui.gui.application import settings

    window, _ = editor
    fc = window.file_controller
    fc.example_actions["exercise_exp_sin"].trigger()
    assert not window.action_show_grads.isChecked()
    window.close()  # the window saves its View settings: gradients off
    fc.shutdown()
    assert str(settings().value("view/grads")).lower() == "true"


def test_example_values_show_after_opening(editor: Any, qtbot: Any) -> None:
    window, _ = editor
    window.file_controller.open_example("chain_rule")
    settle(qtbot, window)
    ev = window.evaluator.evaluation
    graph = window.document.graph
    # Hand calculus: q = -2 + 5 = 3, f = q * z = -12, df/dx = z = -4, df/dz = q = 3.
    assert ev.values[graph.find("f").id] == pytest.approx(-12.0)
    assert ev.grads[graph.find("x").id] == pytest.approx(-4.0)
    assert ev.grads[graph.find("z").id] == pytest.approx(3.0)


# ---- drag and drop -------------------------------------------------------------------------


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def send_drop(widget: Any, mime: QMimeData, pos: QPoint | None = None) -> tuple[bool, bool]:
    pos = pos or QPoint(200, 200)
    actions = Qt.CopyAction | Qt.MoveAction
    enter = QDragEnterEvent(pos, actions, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(pos, actions, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(pos), actions, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_a_graph_file_opens_it(editor: Any, tmp_path: Path, qtbot: Any) -> None:
    window, _ = editor
    path = write_graph(tmp_path / "dropped.json")
    accepted = send_drop(window.view.viewport(), file_mime(path))
    assert accepted == (True, True)
    qtbot.waitUntil(lambda: window.document.path == str(path), timeout=2000)
    assert window.document.graph.find("b") is not None
    # Dropping on the window itself (e.g. over a dock) works too.
    second = write_graph(tmp_path / "second.json", "u = 2\nv = u + 1\n")
    assert send_drop(window, file_mime(second)) == (True, True)
    qtbot.waitUntil(lambda: window.document.path == str(second), timeout=2000)


def test_dropping_other_files_explains(editor: Any, tmp_path: Path, qtbot: Any) -> None:
    window, _ = editor
    doc = window.document
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG")
    send_drop(window.view.viewport(), file_mime(picture))
    qtbot.waitUntil(lambda: "photo.png" in window.statusBar().currentMessage(), timeout=2000)
    assert "drop a graph file" in window.statusBar().currentMessage()
    assert window.document is doc


def test_palette_drops_still_reach_the_canvas(editor: Any) -> None:
    window, _ = editor
    mime = window.palette.mime_data("tanh")
    accepted = send_drop(window.view.viewport(), mime, QPoint(250, 220))
    assert accepted == (True, True)
    assert [n.op for n in window.document.graph.nodes] == ["tanh"]


# ---- autosave ------------------------------------------------------------------------------


def autosave_files(data_dir: Path) -> list[str]:
    folder = data_dir / autosave.SUBDIR
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_autosave_writes_unsaved_work_and_removes_it_when_saved(
    editor: Any, tmp_path: Path, data_dir: Path, qtbot: Any
) -> None:
    from graphgui.core.fileformat import load_document

    window, prompts = editor
    fc = window.file_controller
    fc.autosave_delay = 30
    with qtbot.waitSignal(fc.autosaved, timeout=3000) as blocker:
        build_chain_rule(window.document)
    path = blocker.args[0]
    assert path == fc.store.path and os.path.isfile(path)
    stored = load_document(path)
    assert canonical(stored.graph) == canonical(window.document.graph)
    assert stored.settings[autosave.META_KEY]["path"] is None
    # Saving makes the document clean: the autosave goes.
    prompts.save_path = str(tmp_path / "done.json")
    assert fc.save()
    assert not os.path.exists(path)
    # An edit then undo back to the saved state leaves nothing behind either.
    with qtbot.waitSignal(fc.autosaved, timeout=3000):
        window.document.add_node("input", (0, 300), name="tmp", value=1.0)
    assert os.path.exists(path)
    window.document.undo_stack.undo()
    assert not os.path.exists(path)


def test_autosave_writes_the_documents_settings(editor: Any, qtbot: Any) -> None:
    window, _ = editor
    fc = window.file_controller
    fc.autosave_delay = 30
    doc = window.document
    doc.add_node("input", (0, 0), name="x", value=1.0)
    with qtbot.waitSignal(fc.autosaved, timeout=3000):
        pass
    # Already modified: a settings change alone must still reach the autosave.
    with qtbot.waitSignal(fc.autosaved, timeout=3000) as blocker:
        doc.set_setting("training", {"epochs": 7})
    stored = json.loads(Path(blocker.args[0]).read_text(encoding="utf-8"))["settings"]
    assert stored["training"] == {"epochs": 7}
    assert stored[autosave.META_KEY]["path"] is None
    assert doc.settings == {"training": {"epochs": 7}}  # the bookkeeping stays in the file


def test_autosave_is_debounced(editor: Any, qtbot: Any) -> None:
    window, _ = editor
    fc = window.file_controller
    fc.autosave_delay = 200
    writes: list[str] = []
    fc.autosaved.connect(writes.append)
    with qtbot.waitSignal(fc.autosaved, timeout=3000):
        for k in range(5):  # a burst of edits: one write after it
            window.document.add_node("input", (0, 60 * k), name=f"x{k}", value=float(k))
    assert len(writes) == 1


def test_clean_exit_removes_autosave_and_lock(
    make_editor: Any, data_dir: Path, qtbot: Any
) -> None:
    window, prompts = make_editor()
    fc = window.file_controller
    window.document.add_node("input", (0, 0), name="x", value=1.0)
    assert fc.autosave_now()
    assert len(autosave_files(data_dir)) == 2  # .json and .lock
    prompts.save_changes = [Button.Discard]
    assert window.close()
    qtbot.waitUntil(lambda: autosave_files(data_dir) == [], timeout=2000)


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from graphgui.core.expr import parse
    from graphgui.gui.autosave import AutosaveStore
    store = AutosaveStore(sys.argv[1], instance="crashed")
    graph = parse("x = 3\\ny = param(0.5)\\nf = tanh(x * y)\\n", output="f")
    graph.title = "before the crash"
    store.write(graph, sys.argv[2] or None, {"stepper": {"speed": 2}})
    sys.stdout.flush()
    os._exit(0)  # die holding the lock, as a crash would
    """
)


def simulate_crash(data_dir: Path, original_path: str = "") -> Path:
    """A real editor process that autosaved and then died without cleaning up."""
    folder = data_dir / autosave.SUBDIR
    subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(folder), original_path],
        check=True, timeout=60, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert (folder / "crashed.json").is_file() and (folder / "crashed.lock").is_file()
    return folder


@pytest.mark.parametrize("original", ["", "/work/somewhere/original.json"])
def test_restore_after_crash(
    make_editor: Any, data_dir: Path, qtbot: Any, original: str
) -> None:
    window, prompts = make_editor(check_crashed=False)
    folder = simulate_crash(data_dir, original)
    expected = parse("x = 3\ny = param(0.5)\nf = tanh(x * y)\n", output="f")
    prompts.restore = ["restore"]
    assert window.file_controller.offer_restore() == 1
    assert prompts.asked == ["restore"]
    doc = window.document
    assert canonical(doc.graph) == canonical(expected)
    assert doc.graph.title == "before the crash"
    assert doc.modified and window.isWindowModified()
    assert doc.path == (original or None)
    # The crashed session's files are gone; ours now hold the work.
    names = os.listdir(folder)
    assert "crashed.json" not in names and "crashed.lock" not in names
    assert os.path.isfile(window.file_controller.store.path)
    # The file's own settings survive (the autosave bookkeeping does not).
    assert doc.settings == {"stepper": {"speed": 2}}


def test_restore_is_offered_at_start(
    make_window: Callable[..., Any], data_dir: Path, qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    simulate_crash(data_dir)
    asked: list[Any] = []

    def ask_restore(self: FileController, orphan: Any) -> str:
        asked.append(orphan)
        return "restore"

    monkeypatch.setattr(FileController, "ask_restore", ask_restore)
    window = make_window()
    fc = window.file_controller  # checks for crashed sessions once the event loop runs
    try:
        qtbot.waitUntil(lambda: bool(asked), timeout=2000)
        assert len(asked) == 1 and asked[0].title == "before the crash"
        assert window.document.graph.title == "before the crash"
    finally:
        fc.shutdown()


def test_discard_and_keep_crashed_autosaves(make_editor: Any, data_dir: Path) -> None:
    window, prompts = make_editor(check_crashed=False)
    folder = simulate_crash(data_dir)
    fc = window.file_controller
    prompts.restore = ["keep"]
    assert fc.offer_restore() == 0
    assert (folder / "crashed.json").is_file()  # offered again next time
    assert window.document.graph.title == ""
    prompts.restore = ["discard"]
    assert fc.offer_restore() == 0
    assert not (folder / "crashed.json").exists()
    assert fc.offer_restore() == 0  # nothing left to offer
    assert prompts.asked == ["restore", "restore"]


def test_live_sessions_are_not_offered(make_editor: Any, data_dir: Path) -> None:
    first, _ = make_editor()
    first.document.add_node("input", (0, 0), name="x", value=1.0)
    assert first.file_controller.autosave_now()
    second, prompts = make_editor()
    assert second.file_controller.offer_restore() == 0
    assert prompts.asked == []  # the first editor still runs: its autosave is not an orphan
    assert os.path.isfile(first.file_controller.store.path)


def test_unreadable_autosave_is_set_aside(make_editor: Any, data_dir: Path) -> None:
    window, prompts = make_editor()
    folder = data_dir / autosave.SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "old.json").write_text("{ truncated", encoding="utf-8")
    assert window.file_controller.offer_restore() == 0
    assert prompts.asked == []
    assert (folder / "old.corrupt").read_text(encoding="utf-8") == "{ truncated"
    assert "could not be read" in window.statusBar().currentMessage()


def test_stale_lock_detection_uses_no_age_limit(data_dir: Path) -> None:
    """A running editor's lock stays valid however old it gets (Qt's default is 30 s)."""
    folder = data_dir / autosave.SUBDIR
    store = autosave.AutosaveStore(str(folder), instance="alive")
    assert store.acquire()
    os.utime(store.lock_path, (0, 0))  # very old
    other = QLockFile(store.lock_path)
    other.setStaleLockTime(0)
    assert not other.tryLock(0)
    assert autosave.AutosaveStore(str(folder), instance="me").claim_orphans() == []
    store.release()
    assert not os.path.exists(store.lock_path)


def test_a_bundled_example_opened_as_a_file_is_an_untitled_copy(editor: Any,
                                                                 tmp_path: Path) -> None:
    """File > Open on one of the files that ship with graphgui: Save must not write back
    into the package, nor start its dialog there (a student's Save would change the
    bundled example for everyone)."""
    from graphgui.core.resources import examples_dir
    from graphgui.gui.files import prompts as prompt_module

    window, prompts = editor
    fc = window.file_controller
    bundled_file = Path(str(examples_dir())) / "training" / "moons_network.json"
    before = bundled_file.read_bytes()
    prompts.open_path = str(bundled_file)
    fc.action_open.trigger()
    doc = window.document
    assert doc.path is None and len(doc.graph) > 0 and not doc.modified
    assert "copy" in window.statusBar().currentMessage()
    assert str(bundled_file) not in fc.recent_files()
    # Save: it asks where, suggesting home (not the examples' folder).
    fc.action_save.trigger()
    assert prompts.asked[-1] == "save_path"
    suggested = Path(prompts.save_suggestions[-1])
    assert suggested.name == "moons_network.json"
    assert not prompt_module.bundled(str(suggested))
    assert bundled_file.read_bytes() == before
    # A folder remembered inside the package (from before) is not offered either.
    prompt_module.settings().setValue(prompt_module.LAST_DIR_KEY, str(bundled_file.parent))
    assert not prompt_module.bundled(prompt_module.last_dir())
