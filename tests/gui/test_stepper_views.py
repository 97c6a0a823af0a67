"""What the stepper dock shows, tried as a student meets it: a layout that holds still while
stepping, the first Backward press, hidden gradients hidden everywhere in the dock, nodes
named as the canvas names them, and nothing left over from the previous graph.

Every action goes through the real key, QAction or mouse click on the real widgets.
Expected numbers are worked out by hand in the comments, never read from the Stepper.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from gui_helpers import settle
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)


def key(window: Any, sequence: str) -> None:
    """Press a shortcut on the window as the user does (one key with its modifiers), and
    let the layout and the coalesced evaluation run as the event loop would."""
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(window, combo.key(), combo.keyboardModifiers())
    for _ in range(3):
        QApplication.processEvents()


def activate(window: Any, qtbot: Any) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)


def open_example(window: Any, qtbot: Any, name: str) -> Any:
    """File > Examples > ``name``, as the user picks it from the menu; the stepper dock in
    front (it may share its place with the plots)."""
    window.file_controller.example_actions[name].trigger()
    settle(qtbot, window)
    window.stepper_panel.dock.raise_()
    activate(window, qtbot)
    return window.stepper_panel


def in_window(window: Any, widget: QWidget) -> QRect:
    """``widget``'s rectangle in window coordinates."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def wait_for_layout(qtbot: Any, window: Any) -> None:
    """Until the docks stop moving (their animations end) after a resize."""
    def rects() -> list[tuple[int, int, int, int]]:
        return [in_window(window, d).getRect() for d in window.panels if d.isVisible()]

    last = rects()
    for _ in range(40):
        qtbot.wait(50)
        now = rects()
        if now == last:
            return
        last = now


def drag_divider(window: Any, qtbot: Any, dx: int) -> None:
    """Drag the dock's divider ``dx`` pixels with the mouse (as far as it goes)."""
    handle = window.stepper_panel.splitter.handle(1)
    start = handle.rect().center()
    QTest.mousePress(handle, Qt.LeftButton, Qt.NoModifier, start)
    for k in range(1, 6):
        QTest.mouseMove(handle, start + QPoint(dx * k // 5, 0))
    QTest.mouseRelease(handle, Qt.LeftButton, Qt.NoModifier, start + QPoint(dx, 0))
    wait_for_layout(qtbot, window)


def step_all(window: Any, each: Any = None) -> int:
    """F10 through the forward pass, then F11 through the backward pass; ``each()`` after
    every press. Returns the number of presses."""
    panel = window.stepper_panel
    presses = 0
    while panel.action_backward.isEnabled():
        key(window, "F10" if panel.action_forward.isEnabled() else "F11")
        presses += 1
        if each is not None:
            each()
        assert presses < 500
    return presses


def dock_texts(window: Any) -> list[str]:
    """Every text the stepper dock shows or offers: labels, buttons, the text box, table
    cells and their tooltips, tabs, placeholders and tooltips of every widget, the position
    line, and the status bar's message."""
    dock = window.stepper_panel.dock
    texts = [window.statusBar().currentMessage()]
    for w in [dock, *dock.findChildren(QWidget)]:
        if not w.isVisibleTo(dock) and w is not dock:
            continue
        texts.append(w.toolTip())
        texts.append(w.statusTip())
        if isinstance(w, QLabel | QAbstractButton):
            texts.append(w.text())
        elif isinstance(w, QTextEdit):
            texts.append(w.toPlainText())
        elif isinstance(w, QLineEdit):
            texts += [w.text(), w.placeholderText()]
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                texts += [w.tabText(i), w.tabToolTip(i)]
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            for c in range(model.columnCount()):
                texts.append(str(model.headerData(c, Qt.Horizontal) or ""))
                for r in range(model.rowCount()):
                    for role in (Qt.DisplayRole, Qt.ToolTipRole):
                        texts.append(str(model.index(r, c).data(role) or ""))
        elif hasattr(w, "text") and callable(w.text):  # the elided position line
            texts.append(str(w.text()))
    return [t for t in texts if t]


NODE_ID = re.compile(r"\bn\d+\b")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def numbers_in(texts: list[str]) -> set[str]:
    return {m for t in texts for m in NUMBER.findall(t)}


def layout_snapshot(window: Any) -> tuple[Any, ...]:
    panel = window.stepper_panel
    return (tuple(panel.splitter.sizes()), in_window(window, panel.tabs.tabBar()).getRect(),
            in_window(window, panel.dock).getRect())


# ---- defect 6: a layout that holds still ----------------------------------------------------


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_divider_and_tabs_hold_still_through_a_whole_example(make_window: Any, qtbot: Any,
                                                             size: tuple[int, int]) -> None:
    window = make_window()
    window.resize(*size)
    wait_for_layout(qtbot, window)
    panel = open_example(window, qtbot, "network_2_2_2")
    wait_for_layout(qtbot, window)
    before = layout_snapshot(window)
    left, right = before[0]
    assert left >= 240 and right >= 300  # each part keeps a useful width
    seen = []
    presses = step_all(window, lambda: seen.append(layout_snapshot(window)))
    # It opens with its layers closed: 3 forward steps (layer1, layer2, loss, each one step
    # with its summary), then 5 backward steps (the three functions, then X1 and X2).
    assert presses == 3 + 5
    assert "Backward step 5 of 5" in panel.position_label.text()
    assert set(seen) == {before}
    # The divider dragged as far left as it goes (the position line no longer fits):
    # stepping through again still moves nothing.
    key(window, "Shift+F9")
    drag_divider(window, qtbot, -2000)
    narrow = layout_snapshot(window)
    assert narrow[0][0] == 240  # the column's fixed minimum
    seen.clear()
    step_all(window, lambda: seen.append(layout_snapshot(window)))
    assert set(seen) == {narrow}
    assert panel.position_label.toolTip() == panel.position_label.text()  # elided: whole


def assert_text_clear_of_options(window: Any) -> None:
    panel = window.stepper_panel
    column = in_window(window, panel.column)
    text = in_window(window, panel.step_view)
    options = in_window(window, panel.column.options)
    message = in_window(window, panel.message_label)
    assert not text.intersects(options), (text.getRect(), options.getRect())
    assert text.bottom() < options.top()
    assert not message.intersects(text), (message.getRect(), text.getRect())
    # The options row is whole, inside the column and the dock (not cut at the bottom).
    assert column.contains(options) and in_window(window, panel.dock).contains(options)
    # Every line of the notice has its room.
    label = panel.message_label
    assert label.height() >= label.heightForWidth(label.width())


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_step_text_never_covers_the_options_row_in_an_exercise(make_window: Any, qtbot: Any,
                                                               size: tuple[int, int]) -> None:
    window = make_window()
    window.resize(*size)
    wait_for_layout(qtbot, window)
    panel = open_example(window, qtbot, "exercise_log")
    wait_for_layout(qtbot, window)
    assert panel.message_label.isVisible() and "gradients are hidden" in \
        panel.message_label.text()
    assert_text_clear_of_options(window)
    before = layout_snapshot(window)
    step_all(window, lambda: assert_text_clear_of_options(window))
    assert layout_snapshot(window) == before
    # A narrow text column (the divider dragged left): the notice takes more lines, and
    # the dock makes room for them rather than drawing the text over the options.
    key(window, "Shift+F9")
    drag_divider(window, qtbot, -2000)
    assert_text_clear_of_options(window)
    step_all(window, lambda: assert_text_clear_of_options(window))
    # Room for a few lines of the step itself, beside the notice.
    assert panel.step_view.height() >= 4 * panel.step_view.fontMetrics().lineSpacing()


# ---- defect 12: the first Backward press, the inspector, names ----------------------------


def test_first_backward_press_starts_the_backward_pass(window: Any, qtbot: Any) -> None:
    panel = open_example(window, qtbot, "chain_rule")  # q = x + y, f = q * z
    key(window, "F11")
    # Not "Forward step 2 of 2": the forward pass is finished and backward step 1 taken,
    # and the text says so. At f: df/dq = df/df * d(q z)/dq = 1 * z = 1 * (-4) = -4.
    assert panel.position_label.text() == "Backward step 1 of 5"
    body = panel.step_view.toPlainText()
    assert "The forward pass was finished first (2 more steps), then the first backward " \
           "step was taken." in body
    assert "df/dq = df/df * df/dq = 1 * (-4) = -4" in body
    assert "finished first" in window.statusBar().currentMessage()
    key(window, "F9")  # one step back is the end of the forward pass
    assert panel.position_label.text() == "Forward step 2 of 2"
    assert "finished first" not in panel.step_view.toPlainText()
    key(window, "Shift+F9")
    key(window, "F10")  # one forward step, then Backward: one more forward step to go
    key(window, "F11")
    assert panel.position_label.text() == "Backward step 1 of 5"
    assert "(1 more step)" in panel.step_view.toPlainText()
    assert "finished first" in window.statusBar().currentMessage()
    key(window, "F11")  # an ordinary backward step says nothing of the kind
    assert panel.position_label.text() == "Backward step 2 of 5"
    assert "finished first" not in panel.step_view.toPlainText()
    assert "finished first" not in window.statusBar().currentMessage()  # old news


def test_inspector_shows_a_gradient_only_once_its_step_is_taken(window: Any, qtbot: Any
                                                                 ) -> None:
    open_example(window, qtbot, "chain_rule")
    graph = window.document.graph
    q = graph.find("q").id
    view = window.view
    item = window.scene.node_items[q]
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view.mapFromScene(item.sceneBoundingRect().center()))
    assert window.scene.selected_node_ids() == [q]
    inspector = window.inspector
    # Not stepping: the evaluation's gradient df/dq = z = -4.
    assert inspector.grad_title.isVisibleTo(inspector) and "= -4" in inspector.grad_title.text()
    key(window, "F10")  # q = x + y = 3 is computed: its value, but no gradient yet
    assert inspector.grad_title.isHidden()
    assert "= 3" in inspector.value_title.text()
    key(window, "F10")
    assert inspector.grad_title.isHidden()
    key(window, "F11")  # backward step 1 is at f: q's gradient is not complete yet
    assert window.stepper_panel.position_label.text() == "Backward step 1 of 5"
    assert inspector.grad_title.isHidden()
    key(window, "F11")  # step 2 is q's own: df/dq = -4
    assert window.stepper_panel.position_label.text() == "Backward step 2 of 5"
    assert not inspector.grad_title.isHidden() and "= -4" in inspector.grad_title.text()
    key(window, "F9")  # back: hidden again
    assert inspector.grad_title.isHidden()


def all_example_names() -> list[str]:
    from graphgui.core.examples import list_examples, list_training_examples

    return [info.name for info in [*list_examples(), *list_training_examples()]]


@pytest.mark.parametrize("name", all_example_names())
def test_no_internal_id_in_any_text_of_the_dock(window: Any, qtbot: Any, name: str) -> None:
    panel = open_example(window, qtbot, name)
    graph = window.document.graph
    ids = {n.id for n in graph}
    names = {n.name for n in graph if n.name}
    assert not (ids & names)  # an id in a text is then never a user's name

    def check() -> None:
        for text in dock_texts(window):
            found = NODE_ID.findall(text)
            assert not found, (panel.position_label.text(), text)

    check()
    step_all(window, check)
    # Refusals and the other tabs name nodes as the canvas does too.
    key(window, "Shift+F11")
    QTest.mouseClick(panel.check_tab.button, Qt.LeftButton)
    check()
    out = panel.stepper.program.output_id
    key(window, "Shift+F9")
    window.scene.select_nodes([out])
    key(window, "Ctrl+F10")  # forward to the output (the last forward step)
    key(window, "Ctrl+F10")  # its backward step (the first)
    key(window, "Ctrl+F10")  # nothing ahead for it: refused, with the node's label
    message = window.statusBar().currentMessage()
    assert "no step ahead" in message and not NODE_ID.search(message)
    check()


# ---- defect 2: hidden means hidden in the whole dock --------------------------------------


def test_exercise_hides_every_gradient_in_the_dock_until_shown(window: Any, qtbot: Any
                                                               ) -> None:
    # f = ln(x**2 + y**2 + 1) at x = 2, y = 1: s = 4 + 1 + 1 = 6, f = ln 6 = 1.792.
    # df/ds = 1/6 = 0.1667 (for s, the inner sum and both squares), df/dx = 2x/6 = 0.6667,
    # df/dy = 2y/6 = 0.3333. None of these is a value of the graph (2, 1, 4, 5, 6, 1.792).
    gradients = {"0.1667", "0.6667", "0.3333"}
    panel = open_example(window, qtbot, "exercise_log")
    assert window.view_state.grads_hidden
    seen: list[str] = []
    step_all(window, lambda: seen.extend(dock_texts(window)))
    assert "gradients complete" in panel.position_label.text()
    QTest.mouseClick(panel.check_tab.button, Qt.LeftButton)  # the check runs, numbers hidden
    assert "all 2 pass" in panel.check_tab.summary.text()
    hidden = dock_texts(window)
    assert not (numbers_in(seen + hidden) & gradients)
    # The forward pass stays visible; the backward pass is a worksheet: formulas and "?".
    assert any("f = ln(add2) = ln(6) = 1.792" in t for t in seen)
    assert "= ?" in panel.step_view.toPlainText()
    assert "Show Gradients (Ctrl+2)" in panel.step_view.toPlainText()
    log = panel.log_tab.model
    assert log.rowCount() > 0 and {log.index(r, 5).data() for r in range(log.rowCount())} \
        == {"?"}
    assert not panel.update_tab.apply_button.isEnabled()
    assert "hidden" in panel.update_tab.hint.text()

    key(window, "Ctrl+2")  # View > Show Gradients
    assert window.action_show_grads.isChecked() and not window.view_state.grads_hidden
    shown = dock_texts(window)
    assert gradients <= numbers_in(shown)
    cells = {log.index(r, c).data() for r in range(log.rowCount()) for c in (5, 6)}
    assert {"0.6667", "0.3333"} <= cells
    table = panel.update_tab.table
    grads = {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert grads == {"x": "0.6667", "y": "0.3333"}
    checks = panel.check_tab.table
    assert {checks.item(r, 1).text() for r in range(checks.rowCount())} == {"0.6667", "0.3333"}
    assert panel.update_tab.apply_button.isEnabled()
    assert "gradients are hidden" not in panel.message_label.text()  # the notice is done
    key(window, "Ctrl+2")  # hidden again by the user's own choice: hidden in the dock too
    assert not (numbers_in(dock_texts(window)) & gradients)


# ---- defect 10: nothing left from the previous graph --------------------------------------


def assert_fresh(panel: Any) -> None:
    assert panel.message_kind == "" and not panel.message_label.isVisible()
    assert "was reset" not in panel.step_view.toPlainText()
    assert panel.log_tab.model.rowCount() == 0
    assert panel.update_tab.table.rowCount() == 0 and panel.update_tab.loss_label.text() == ""
    assert panel.check_tab.table.rowCount() == 0 and panel.check_tab.summary.text() == ""


def test_new_and_another_example_leave_no_banner_or_old_text(window: Any, qtbot: Any) -> None:
    panel = open_example(window, qtbot, "chain_rule")
    key(window, "Shift+F11")
    QTest.mouseClick(panel.update_tab.apply_button, Qt.LeftButton)
    QTest.mouseClick(panel.check_tab.button, Qt.LeftButton)
    assert panel.update_tab.loss_label.text() and panel.check_tab.table.rowCount() == 3
    key(window, "Ctrl+Z")  # undo the update while stepping: the stepper is reset, and says so
    assert "reset" in panel.message_label.text()
    key(window, "Ctrl+N")
    assert window.document.graph is not None and len(window.document.graph) == 0
    assert_fresh(panel)
    assert panel.position_label.text() == "Empty graph"
    # The status line may still report the undo (a past event, fading after 6 s); the
    # stepper adds no news of its own about a graph that is gone.
    assert "Another graph" not in window.statusBar().currentMessage()

    panel = open_example(window, qtbot, "network_2_2_2")
    key(window, "F10")
    key(window, "F10")
    key(window, "Ctrl+Z")  # nothing to undo: no edit, the stepper stays
    assert panel.position_label.text() == "Forward step 2 of 3"  # layer1 and layer2
    open_example(window, qtbot, "exercise_div")
    assert panel.position_label.text() == "Ready"
    assert "gradients are hidden" in panel.message_label.text()  # this exercise's notice
    open_example(window, qtbot, "chain_rule")  # ... is gone with it
    assert_fresh(panel)
    assert panel.position_label.text() == "Ready"
    body = panel.step_view.toPlainText()
    assert body.startswith("Ready") and "hidden" not in body and "?" not in body
