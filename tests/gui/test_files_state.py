"""Issue 8, defects 10 and 2 (the files part), through the real menu actions and keys:
nothing of the previous graph remains after New, Open, an example or Revert; an exercise
hides its gradients everywhere, exported pictures included, until Ctrl+2; and the next
session does not start with them hidden."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import settle
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QImage
from PySide6.QtTest import QTest
from test_files import data_dir, editor, make_editor, write_graph  # noqa: F401 (fixtures)

from graphgui.gui.export import render_image

SVG_NS = "{http://www.w3.org/2000/svg}"
# exercise_div: f = (x + y) / z at x = 3, y = 2, z = 1. By hand: f = 5, df/dx = df/dy = 1/z
# = 1, df/dz = -(x + y) / z**2 = -5. The values on the wires are 3, 2, 1 and 5: "-5" on the
# z wire can only be the gradient.
DF_DZ = "-5"
ARGB = QImage.Format_ARGB32


def examples_entry(window: Any, name: str) -> QAction:
    """The entry of File > Examples, found in the menu as the user finds it."""
    menu = next(a.menu() for a in window.menu_file.actions()
                if a.menu() is not None and a.menu().objectName() == "menuExamples")
    return next(a for a in menu.actions() if a.objectName() == f"example_{name}")


def svg_texts(path: Path) -> list[str]:
    return [(t.text or "").strip() for t in ET.parse(path).getroot().iter(f"{SVG_NS}text")]


def wire_grads(window: Any) -> list[str]:
    return [w.grad_text for w in window.scene.wire_items.values() if w.grad_text]


def press_ctrl_2(window: Any, qtbot: Any) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key_2, Qt.ControlModifier)


def inspect(window: Any, name: str) -> Any:
    node = window.document.graph.find(name)
    window.select_nodes([node.id])
    return window.inspector


def export_svg(window: Any, prompts: Any, path: Path) -> list[str]:
    prompts.export_path = str(path)
    window.file_controller.action_export.trigger()
    assert window.statusBar().currentMessage() == f"Exported {path}"
    return svg_texts(path)


# ---- defect 2: hidden means hidden everywhere ---------------------------------------------


def test_an_exercise_hides_gradients_everywhere_until_ctrl_2(
    editor: Any, qtbot: Any, tmp_path: Path  # noqa: F811
) -> None:
    window, prompts = editor
    examples_entry(window, "exercise_div").trigger()
    settle(qtbot, window)
    assert window.view_state.grads_hidden and not window.action_show_grads.isChecked()
    # Wires, inspector, the picture from File > Export Image: no gradient anywhere.
    assert wire_grads(window) == []
    inspector = inspect(window, "z")
    assert not inspector.grad_title.isVisible() and DF_DZ not in inspector.grad_title.text()
    assert not inspector.grad_table.isVisible()
    texts = export_svg(window, prompts, tmp_path / "hidden.svg")
    assert "5" in texts and "3" in texts and DF_DZ not in texts  # values yes, answers no
    prompts.export_path = str(tmp_path / "hidden.png")
    window.file_controller.action_export.trigger()
    graph = window.document.graph
    exported = QImage(str(tmp_path / "hidden.png")).convertToFormat(ARGB)
    without = render_image(graph, show_grads=False).convertToFormat(ARGB)
    assert exported == without
    assert without != render_image(graph, show_grads=True).convertToFormat(ARGB)

    press_ctrl_2(window, qtbot)  # View > Show Gradients
    settle(qtbot, window)
    assert not window.view_state.grads_hidden and window.action_show_grads.isChecked()
    assert DF_DZ in wire_grads(window)
    inspector = inspect(window, "z")
    assert inspector.grad_title.isVisible() and "Gradient" in inspector.grad_title.text()
    assert DF_DZ in export_svg(window, prompts, tmp_path / "shown.svg")
    # Ctrl+2 again hides them (the user's own choice), and the export follows.
    press_ctrl_2(window, qtbot)
    assert window.view_state.grads_hidden
    assert DF_DZ not in export_svg(window, prompts, tmp_path / "again.svg")


def test_an_exercise_open_at_exit_is_not_hidden_in_the_next_session(
    editor: Any, make_window: Any, qtbot: Any  # noqa: F811
) -> None:
    window, _ = editor
    examples_entry(window, "exercise_div").trigger()
    assert window.view_state.grads_hidden
    assert window.close()  # saves the View settings (same QSettings for the next window)
    window.file_controller.shutdown()
    second = make_window()
    assert second.action_show_grads.isChecked() and not second.view_state.grads_hidden
    examples_entry(second, "chain_rule").trigger()
    settle(qtbot, second)
    assert wire_grads(second)  # df/dx = z = -4 and friends are on the wires
    second.file_controller.shutdown()


# ---- defect 10: nothing of the previous graph remains -------------------------------------


def stale_state(window: Any) -> dict[str, Any]:
    """What the file controller and window show that could belong to the last graph."""
    fc = window.file_controller
    return {
        "suggested": Path(fc._suggested_path()).name,
        "title": window.windowTitle(),
        "revert": fc.action_revert.isEnabled(),
        "notice": "gradients are hidden" in window.statusBar().currentMessage(),
        "exercise": window.view_state.exercise_notice,
        "hidden": window.view_state.grads_hidden,
    }


def test_file_new_after_an_exercise_starts_clean(editor: Any) -> None:  # noqa: F811
    window, _ = editor
    examples_entry(window, "exercise_div").trigger()
    before = stale_state(window)
    assert before["suggested"] == "exercise_div.json" and before["notice"] and before["hidden"]
    window.action_new.trigger()
    assert stale_state(window) == {
        "suggested": "untitled.json", "title": "untitled[*] — graphgui", "revert": False,
        "notice": False, "exercise": "", "hidden": False,
    }


@pytest.mark.parametrize("then", ["file", "example", "new"])
def test_after_an_edited_file_nothing_of_it_remains(
    editor: Any, tmp_path: Path, then: str  # noqa: F811
) -> None:
    from test_files import Button

    window, prompts = editor
    fc = window.file_controller
    first = write_graph(tmp_path / "first.json")
    prompts.open_path = str(first)
    fc.action_open.trigger()
    window.document.add_node("input", (0, 300), name="junk", value=1.0)
    assert stale_state(window)["revert"] and window.isWindowModified()
    prompts.save_changes = [Button.Discard]
    if then == "file":
        prompts.open_path = str(write_graph(tmp_path / "second.json"))
        fc.action_open.trigger()
        expected = ("second.json", "second.json[*] — graphgui")
    elif then == "example":
        examples_entry(window, "neuron").trigger()
        expected = ("neuron.json", f"{window.document.graph.title}[*] — graphgui")
    else:
        window.action_new.trigger()
        expected = ("untitled.json", "untitled[*] — graphgui")
    state = stale_state(window)
    assert (state["suggested"], state["title"]) == expected
    assert not state["revert"] and not window.isWindowModified()
    assert not fc.store.exists  # the dropped work's autosave went with it


def test_revert_shows_the_file_as_saved(editor: Any, tmp_path: Path) -> None:  # noqa: F811
    window, prompts = editor
    fc = window.file_controller
    path = write_graph(tmp_path / "kept.json")
    prompts.open_path = str(path)
    fc.action_open.trigger()
    window.document.add_node("input", (0, 300), name="junk", value=1.0)
    assert fc.autosave_now() and fc.store.exists
    assert window.isWindowModified() and fc.action_revert.isEnabled()
    fc.action_revert.trigger()
    assert window.document.graph.find("junk") is None
    state = stale_state(window)
    assert state["suggested"] == "kept.json" and state["title"] == "kept.json[*] — graphgui"
    assert not state["revert"] and not window.isWindowModified() and not fc.store.exists


def test_an_example_after_an_exercise_keeps_no_exercise(editor: Any) -> None:  # noqa: F811
    window, _ = editor
    examples_entry(window, "exercise_log").trigger()
    assert window.view_state.exercise_notice
    examples_entry(window, "chain_rule").trigger()
    state = stale_state(window)
    assert state["suggested"] == "chain_rule.json" and not state["hidden"]
    assert state["exercise"] == "" and not state["notice"]
