"""The stepper dock: buttons and keys, canvas overlay, chain-rule text, log export, gradient
descent as one undo step, gradient check badges, quiz, resets on edits, failing graphs.

Expected numbers are worked out by hand here (chain rule on paper), never read from the
Stepper under test.
"""

from __future__ import annotations

import csv
import math
from typing import Any

import pytest
from gui_helpers import opened, settle
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from graphgui.core.examples import load_example
from graphgui.core.expr import parse
from graphgui.core.ops import OpSpec, register, unregister
from graphgui.gui.document import Document
from graphgui.gui.help import shortcut_rows

CHAIN = "x = -2; y = 5; z = -4; q = x + y; f = q * z"


def ids(graph: Any) -> dict[str, str]:
    return {n.name: n.id for n in graph if n.name}


def open_graph(window: Any, qtbot: Any, graph: Any) -> Any:
    window.set_document(Document(graph))
    settle(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    return window.stepper_panel


def click(panel: Any, name: str) -> None:
    button = panel.tool_button(name)
    assert button.isEnabled(), f"{name} is disabled"
    QTest.mouseClick(button, Qt.LeftButton)


def key(window: Any, sequence: str) -> None:
    """Press a shortcut on the window as the user does (one key with its modifiers)."""
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(window, combo.key(), combo.keyboardModifiers())


def current_items(window: Any) -> list[str]:
    return [nid for nid, item in window.scene.node_items.items() if item.step_state == "current"]


def text(panel: Any) -> str:
    return panel.step_view.toPlainText()


# ---- stepping with buttons and keys ------------------------------------------------------


def test_buttons_and_keys_step_forward_backward_and_back(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    g = window.document.graph
    n = ids(g)
    q, f = n["q"], n["f"]
    assert window.scene.overlay is None  # not stepping: the full evaluation is shown
    assert window.scene.node_items[f].grad_text == "1"

    click(panel, "forward")
    assert current_items(window) == [q]
    assert "q = x + y = (-2) + 5 = 3" in text(panel)  # -2 + 5 = 3
    assert "Forward step 1 of 2" in panel.position_label.text()
    # f is not computed yet: dimmed, no value on its output, q's value on its wire.
    assert window.scene.node_items[f].step_state == "pending"
    assert window.scene.node_items[f].value_text == ""
    assert window.scene.wire_items[(f, 0)].value_text == "3"
    assert window.scene.node_items[q].badge_text == "= 3"

    key(window, "F10")
    assert current_items(window) == [f]
    assert "f = q * z = 3 * (-4) = -12" in text(panel)  # 3 * -4 = -12
    assert window.scene.node_items[f].value_text == "-12"
    assert not panel.action_forward.isEnabled()

    key(window, "F11")  # backward step 1: at f, df/df = 1
    assert current_items(window) == [f]
    body = text(panel)
    assert "df/dq = df/df * df/dq = 1 * (-4) = -4" in body  # d(qz)/dq = z = -4
    assert "df/dz = df/df * df/dz = 1 * 3 = 3" in body  # d(qz)/dz = q = 3
    assert "Backward step 1 of" in panel.position_label.text()
    # The wires f works on are highlighted and carry the new contributions.
    assert window.scene.wire_items[(f, 0)].step_state == "current"
    assert window.scene.wire_items[(f, 0)].grad_text == "-4"
    assert window.scene.wire_items[(f, 1)].grad_text == "3"
    assert window.scene.wire_items[(q, 0)].grad_text == ""  # q not visited yet
    assert window.scene.node_items[q].step_state == "pending"

    click(panel, "backward")  # at q: dq/dx = dq/dy = 1
    assert current_items(window) == [q]
    assert "df/dx = df/dq * dq/dx = (-4) * 1 = -4" in text(panel)
    assert window.scene.wire_items[(q, 0)].grad_text == "-4"
    assert window.scene.node_items[q].badge_text == "∂ -4"

    click(panel, "back")  # back to the state before: at f again
    assert current_items(window) == [f]
    assert window.scene.wire_items[(q, 0)].grad_text == ""
    key(window, "F9")
    assert current_items(window) == [f] and "Forward step 2 of 2" in panel.position_label.text()

    key(window, "Shift+F9")  # reset: the canvas shows the full evaluation again
    assert window.scene.overlay is None
    assert current_items(window) == []
    assert window.scene.wire_items[(q, 0)].grad_text == "-4"  # the evaluation's gradient
    assert not panel.action_back.isEnabled() and not panel.action_reset.isEnabled()


def test_run_to_end_and_run_to_selected_node(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    n = ids(window.document.graph)
    view = window.view

    def select_by_click(name: str) -> None:
        item = window.scene.node_items[n[name]]
        point = view.mapFromScene(item.sceneBoundingRect().center())
        QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, point)
        assert window.scene.selected_node_ids() == [n[name]]

    select_by_click("q")
    click(panel, "run_node")  # through the forward pass (q is step 1), stops at q
    assert current_items(window) == [n["q"]] and "Forward step 1" in panel.position_label.text()
    key(window, "Ctrl+F10")  # again: on to q's backward step
    assert current_items(window) == [n["q"]] and "Backward step 2" in panel.position_label.text()
    select_by_click("f")  # f is behind: refused with a reason, no move
    key(window, "Ctrl+F10")
    assert current_items(window) == [n["q"]]
    assert "no step ahead" in window.statusBar().currentMessage()
    select_by_click("x")
    key(window, "Ctrl+F10")
    assert current_items(window) == [n["x"]]
    assert "df/dx = -4" in text(panel)  # x's gradient is complete: df/dq * dq/dx = -4
    assert window.scene.node_items[n["x"]].badge_text == "∂ -4"

    key(window, "Shift+F11")
    assert "gradients complete" in panel.position_label.text()
    assert not panel.action_backward.isEnabled() and not panel.action_run_end.isEnabled()
    grads = {name: window.scene.node_items[n[name]].badge_text for name in "xyzq"}
    assert grads == {"x": "∂ -4", "y": "∂ -4", "z": "∂ 3", "q": "∂ -4"}


def test_shortcuts_are_listed_and_in_tooltips(window: Any) -> None:
    rows = dict(shortcut_rows(window))
    panel = window.stepper_panel
    expected = {"Forward Step": "F10", "Backward Step": "F11", "Step Back": "F9",
                "Run to End": "Shift+F11", "Run to Selected Node": "Ctrl+F10",
                "Reset Stepper": "Shift+F9"}
    for name, keys in expected.items():
        native = QKeySequence(keys).toString(QKeySequence.NativeText)
        assert rows[name] == native
    assert "(F10)" in panel.action_forward.toolTip()
    # No clash with the editor's own shortcuts.
    all_keys = [k for _, keys in shortcut_rows(window) for k in keys.split(", ") if k]
    step_keys = [QKeySequence(k).toString(QKeySequence.NativeText) for k in expected.values()]
    for k in step_keys:
        assert all_keys.count(k) == 1, k
    dock = window.findChild(type(panel.dock), "stepperDock")
    assert dock is panel.dock and panel.toolbar.objectName() == "stepperToolbar"


# ---- fan-out: partial contributions, then the sum ----------------------------------------


def network_by_hand() -> dict[str, float]:
    """The 2-2-2 example's gradients by the chain rule (linear hidden layer, sigmoid
    outputs, E = 1/2 (y1 - A3)^2 + 1/2 (y2 - A4)^2)."""
    x1, x2 = 0.85, 0.5
    w1, w2, w3, w4, w5, w6, w7, w8 = 0.75, 0.55, 0.05, 0.05, 0.05, 0.015, 0.85, 0.95
    b1, b2, b3, b4 = 0.25, 0.15, 0.15, 0.25
    y1, y2 = 0.01, 0.99
    z1 = w1 * x1 + w2 * x2 + b1
    z2 = w3 * x1 + w4 * x2 + b2
    z3 = w5 * z1 + w6 * z2 + b3
    z4 = w7 * z1 + w8 * z2 + b4
    a3 = 1 / (1 + math.exp(-z3))
    a4 = 1 / (1 + math.exp(-z4))
    d_z3 = (a3 - y1) * a3 * (1 - a3)
    d_z4 = (a4 - y2) * a4 * (1 - a4)
    return {"z1": z1, "d_z3": d_z3, "d_z4": d_z4, "A1 via Z4": d_z4 * w7,
            "A1": d_z3 * w5 + d_z4 * w7, "w5": d_z3 * z1}


def badge_number(badge: str) -> float:
    return float(badge.replace("∂", "").replace("Σ", "").split("+")[0].split("(")[0])


def test_fan_out_shows_partial_contribution_then_the_sum(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, opened(load_example("network_2_2_2")))
    a1 = ids(window.document.graph)["A1"]
    hand = network_by_hand()
    item = window.scene.node_items[a1]
    seen_partial = False
    while panel.action_backward.isEnabled():
        key(window, "F11")
        if item.badge_kind == "partial":
            seen_partial = True
            assert "(1 of 2)" in item.badge_text
            assert badge_number(item.badge_text) == pytest.approx(hand["A1 via Z4"], rel=1e-3)
        if current_items(window) == [a1]:
            break
    assert seen_partial
    # At A1 itself the dock writes out the sum of both contributions.
    body = text(panel)
    assert "upstream dE_total/dA1 = " in body and " + " in body
    assert "2 contributions" in body
    assert item.badge_kind == "grad"
    assert badge_number(item.badge_text) == pytest.approx(hand["A1"], rel=1e-3)
    # The example term: w5 * A1 is the node mul5 (as the canvas titles it), its
    # upstream gradient is dE/dZ3 (Z3 = add3 + b3, add3 = mul5 + mul6) and
    # d(mul5)/dw5 = A1 = z1 (A1 is the identity of Z1):
    # dE/dw5 = dE/dmul5 * dmul5/dw5 = 0.1342 * 1.163 = 0.156.
    key(window, "Shift+F9")
    while "dE_total/dw5 = " not in text(panel):
        key(window, "F11")
    assert f"dE_total/dw5 = dE_total/dmul5 * dmul5/dw5 = {hand['d_z3']:.4g} * " \
           f"{hand['z1']:.4g} = {hand['w5']:.4g}" in text(panel)


# ---- the step log --------------------------------------------------------------------------


def test_log_grows_and_exports_csv_and_markdown(window: Any, qtbot: Any, tmp_path: Any,
                                               monkeypatch: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    model = panel.log_tab.model
    # A fresh stepper: Backward finishes the forward pass and takes backward step 1, at f:
    # two rows (q and z).
    key(window, "F11")
    assert model.rowCount() == 2
    key(window, "F11")  # at q: two more (x and y)
    assert model.rowCount() == 4
    cells = [[model.index(r, c).data() for c in range(model.columnCount())]
             for r in range(model.rowCount())]
    assert [model.headerData(c, Qt.Horizontal) for c in range(7)] == [
        "step", "node", "gradient", "local derivative", "upstream", "contribution", "total"]
    assert cells[0] == ["1", "f", "df/dq", "df/dq = z = -4", "df/df = 1", "-4", "-4"]
    assert cells[2] == ["2", "q", "df/dx", "dq/dx = 1", "df/dq = -4", "-4", "-4"]
    click(panel, "back")
    assert model.rowCount() == 2
    click(panel, "run_end")

    paths = {"csv": str(tmp_path / "log.csv"), "md": str(tmp_path / "log.md")}
    monkeypatch.setattr(panel.log_tab, "ask_export_path", lambda kind: paths[kind])
    QTest.mouseClick(panel.log_tab.export_csv_button, Qt.LeftButton)
    with open(paths["csv"], encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["step", "node", "gradient", "local derivative", "upstream",
                       "contribution", "total"]
    assert ["2", "q", "df/dy", "dq/dy = 1", "df/dq = -4", "-4", "-4"] in rows
    assert len(rows) == 1 + 4
    QTest.mouseClick(panel.log_tab.export_md_button, Qt.LeftButton)
    with open(paths["md"], encoding="utf-8") as fh:
        md = fh.read()
    assert md.startswith("| step | node | gradient | local derivative |")
    assert "| 1 | f | df/dz | df/dz = q = 3 | df/df = 1 | 3 | 3 |" in md
    QTest.mouseClick(panel.log_tab.copy_md_button, Qt.LeftButton)
    assert QGuiApplication.clipboard().text() == md
    # A cancelled dialog writes nothing.
    monkeypatch.setattr(panel.log_tab, "ask_export_path", lambda kind: None)
    assert panel.log_tab.export("csv") is None


# ---- gradient descent --------------------------------------------------------------------


def test_apply_gradient_descent_is_one_undo_step(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    g = window.document.graph
    n = ids(g)
    stack = window.document.undo_stack
    assert not panel.update_tab.apply_button.isEnabled()  # only after the backward pass
    key(window, "Shift+F11")
    panel.update_tab.alpha_spin.setValue(0.1)
    table = panel.update_tab.table
    shown = {table.item(r, 0).text(): table.item(r, 4).text() for r in range(table.rowCount())}
    # df/dx = df/dy = z = -4, df/dz = x + y = 3; w - 0.1 * grad:
    assert shown == {"x": "-1.6", "y": "5.4", "z": "-4.3"}
    before = stack.count()
    QTest.mouseClick(panel.update_tab.apply_button, Qt.LeftButton)
    assert stack.count() == before + 1
    assert g.node(n["x"]).value == pytest.approx(-2 - 0.1 * -4)  # -1.6
    assert g.node(n["y"]).value == pytest.approx(5 - 0.1 * -4)  # 5.4
    assert g.node(n["z"]).value == pytest.approx(-4 - 0.1 * 3)  # -4.3
    # Re-evaluated at once: f = (x + y) z = 3.8 * -4.3 = -16.34, shown before/after.
    assert window.evaluator.evaluation.values[n["f"]] == pytest.approx(-16.34)
    assert "-12 → -16.34" in panel.update_tab.loss_label.text()
    assert "-12 → -16.34" in window.statusBar().currentMessage()
    assert panel.stepper.finished  # ready for the next update
    QTest.mouseClick(panel.update_tab.apply_button, Qt.LeftButton)  # f falls again
    # grads now: df/dx = df/dy = z = -4.3, df/dz = x + y = 3.8
    x2, y2, z2 = -1.6 + 0.43, 5.4 + 0.43, -4.3 - 0.38
    assert g.node(n["z"]).value == pytest.approx(z2)
    assert f"-16.34 → {(x2 + y2) * z2:.4g}" in panel.update_tab.loss_label.text()
    stack.undo()
    stack.undo()
    assert (g.node(n["x"]).value, g.node(n["y"]).value, g.node(n["z"]).value) == (-2, 5, -4)
    assert panel.stepper is None and "reset" in window.statusBar().currentMessage()


# ---- gradient check ----------------------------------------------------------------------


def test_gradient_check_badges_pass_and_flag_a_wrong_rule(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    panel.tabs.setCurrentIndex(2)
    QTest.mouseClick(panel.check_tab.button, Qt.LeftButton)
    table = panel.check_tab.table
    results = {table.item(r, 0).text(): table.item(r, 4).text() for r in range(3)}
    assert results == {"x": "✓ pass", "y": "✓ pass", "z": "✓ pass"}
    assert "all 3 pass" in panel.check_tab.summary.text()
    # d/dx x^3 is 3x^2; this rule says 2x^2 on purpose.
    register(OpSpec(name="cube_wrong_gui", category="Math", label="x3", doc="test only",
                    inputs=("x",), forward=lambda x: x**3,
                    vjps=(lambda g, out, x: g * 2 * x**2,), formula="x^3",
                    jvps=(lambda t, out, x: t * 2 * x**2,), elementwise=True,
                    vjp_graph=lambda b, g, out, inputs, params, needs: (g,),
                    numpy_code="{x} ** 3", numpy_grads=("{g} * 2 * {x} ** 2",),
                    torch_code="{x} ** 3", derivatives=("2 x^2",)))
    try:
        open_graph(window, qtbot, parse("x = 1.5; w = param(2); f = cube_wrong_gui(x) * w"))
        panel.check_tab.step_edit.clear()
        QTest.keyClicks(panel.check_tab.step_edit, "1e-5")
        QTest.keyClick(panel.check_tab.step_edit, Qt.Key_Return)
        results = {table.item(r, 0).text(): table.item(r, 4).text()
                   for r in range(table.rowCount())}
        assert results == {"x": "✗ FAIL", "w": "✓ pass"}  # df/dw = x^3 is right
        row = next(r for r in range(2) if table.item(r, 0).text() == "x")
        assert float(table.item(row, 1).text()) == pytest.approx(2 * 2 * 1.5**2, rel=1e-3)
        assert float(table.item(row, 2).text()) == pytest.approx(2 * 3 * 1.5**2, rel=1e-3)
        assert "1 of 2 fail" in panel.check_tab.summary.text()
        panel.check_tab.step_edit.setText("-1")
        assert panel.check_tab.run() == []
        assert "positive number" in panel.check_tab.summary.text()
    finally:
        window.set_document(Document())
        unregister("cube_wrong_gui")


# ---- quiz ----------------------------------------------------------------------------------


def test_quiz_hides_gradients_and_checks_typed_answers(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    n = ids(window.document.graph)
    QTest.mouseClick(panel.quiz_check, Qt.LeftButton)
    assert panel.quiz_mode
    scene = window.scene
    assert all(w.grad_text == "" for w in scene.wire_items.values())
    assert scene.node_items[n["f"]].grad_text == ""
    key(window, "F11")  # forward pass done; the question is the step at f
    assert all(w.grad_text == "" for w in scene.wire_items.values())
    assert "df/dq = df/df * df/dq = ?" in text(panel)
    assert "-4" not in text(panel)  # no gradient of this step is shown
    assert not panel.tabs.isTabEnabled(0)  # the log would give the answers away
    window.scene.select_nodes([n["q"]])  # so would the inspector
    assert window.inspector.grad_title.isHidden()
    assert all(window.view_state.grad(nid) is None for nid in n.values())
    assert len(panel.quiz_tab.rows) == 2
    (t0, local0, total0, verdict0), (t1, local1, total1, verdict1) = panel.quiz_tab.rows
    # Wrong: df/dq = z = -4, not 4.
    QTest.keyClicks(local0, "4")
    QTest.keyClicks(total0, "4")
    QTest.keyClicks(local1, "3")
    QTest.keyClicks(total1, "3")
    QTest.mouseClick(panel.quiz_tab.check_button, Qt.LeftButton)
    assert "✗" in verdict0.text() and "✓" in verdict1.text()
    assert "Not yet" in panel.quiz_tab.result.text()
    local0.clear()
    total0.clear()
    QTest.keyClicks(local0, "-4")
    QTest.keyClicks(total0, "-8/2")
    QTest.keyClick(total0, Qt.Key_Return)
    assert "✓" in verdict0.text()
    assert "All right" in panel.quiz_tab.result.text()
    QTest.mouseClick(panel.quiz_tab.working_button, Qt.LeftButton)
    assert "df/dq = df/df * df/dq = 1 * (-4) = -4" in panel.quiz_tab.result.text()
    # A typo is refused with a reason, not counted as an answer.
    key(window, "F11")  # next question: the step at q
    (_, local0, total0, verdict0), _ = panel.quiz_tab.rows
    QTest.keyClicks(total0, "minus four")
    QTest.mouseClick(panel.quiz_tab.check_button, Qt.LeftButton)
    assert "not a number" in verdict0.text()
    # An edit in quiz mode resets the stepper but never shows the gradients.
    window.document.set_value(n["x"], 1.0)
    assert all(w.grad_text == "" for w in scene.wire_items.values())
    settle(qtbot, window)
    assert all(w.grad_text == "" for w in scene.wire_items.values())
    window.scene.select_nodes([n["x"]])
    assert window.inspector.grad_title.isHidden()
    QTest.mouseClick(panel.quiz_check, Qt.LeftButton)  # quiz off: gradients come back
    assert scene.wire_items[(n["f"], 0)].grad_text == "-4"
    assert window.view_state.grad(n["x"]) == -4
    assert not window.inspector.grad_title.isHidden()


def test_quiz_frames_the_node_asked_about_and_labels_the_answers(window: Any,
                                                                 qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    n = ids(window.document.graph)
    QTest.mouseClick(panel.quiz_check, Qt.LeftButton)
    key(window, "F11")  # forward pass done; the first question is the step at f
    # Backward steps of f = (x + y) z: f, then q and z, then x and y: 5 in all.
    assert current_items(window) == [n["f"]]
    assert "Question: backward step 1 of 5" in panel.position_label.text()
    assert "backward step 1 of 5" in text(panel)
    assert "Backward step 1 of 5" in panel.quiz_tab.prompt.text()
    # At the output the local derivative and the gradient are both written df/dq: the
    # labels say which box is which.
    grid = panel.quiz_tab.grid_host
    assert grid.findChild(QLabel, "quizLocalLabel0").text() == "local derivative df/dq"
    assert grid.findChild(QLabel, "quizTotalLabel0").text() == "gradient df/dq"
    assert grid.findChild(QLabel, "quizLocalLabel1").text() == "local derivative df/dz"
    (_, local0, total0, verdict0), (_, local1, total1, verdict1) = panel.quiz_tab.rows
    QTest.mouseClick(panel.quiz_tab.check_button, Qt.LeftButton)  # nothing typed: not an error
    assert "no answer yet" in verdict0.text() and "✗" not in verdict0.text()
    QTest.keyClicks(local0, "-4")  # d(qz)/dq = z = -4
    QTest.keyClick(local0, Qt.Key_Return)  # the local derivative alone is checked
    assert "✓" in verdict0.text() and "now the gradient" in verdict0.text()
    assert "no answer yet" in verdict1.text() and "Not yet" in panel.quiz_tab.result.text()
    QTest.keyClicks(total0, "-4")  # 1 * -4
    QTest.keyClicks(local1, "3")  # d(qz)/dz = q = 3
    QTest.keyClicks(total1, "3")
    QTest.mouseClick(panel.quiz_tab.check_button, Qt.LeftButton)
    assert "All right" in panel.quiz_tab.result.text()

    key(window, "F11")  # the question moves on to q: q is framed, not f
    assert current_items(window) == [n["q"]]
    assert window.scene.wire_items[(n["q"], 0)].step_state == "current"
    assert "Question: backward step 2 of 5" in panel.position_label.text()
    assert "backward step 2 of 5" in text(panel)
    grid = panel.quiz_tab.grid_host
    assert grid.findChild(QLabel, "quizLocalLabel0").text() == "local derivative dq/dx"
    assert grid.findChild(QLabel, "quizTotalLabel0").text() == "gradient df/dx"
    QTest.mouseClick(panel.quiz_tab.working_button, Qt.LeftButton)
    assert "df/dx = df/dq * dq/dx = (-4) * 1 = -4" in panel.quiz_tab.result.text()
    assert all(w.grad_text == "" for w in window.scene.wire_items.values())
    key(window, "Shift+F11")  # finished: no question, the header says so
    assert "gradients complete" in panel.position_label.text()
    assert "Question" not in panel.position_label.text()


# ---- the step log's columns and the dock's messages ----------------------------------------


def test_log_columns_show_whole_expressions(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, opened(load_example("network_2_2_2")))
    panel.precision_spin.setValue(8)
    key(window, "Shift+F11")
    model, view = panel.log_tab.model, panel.log_tab.view
    assert model.rowCount() > 20
    fm = QFontMetrics(view.font())
    mono = QFontMetrics(model.index(0, 0).data(Qt.FontRole))
    for c in range(model.columnCount()):
        texts = [model.index(r, c).data() for r in range(model.rowCount())]
        widest = max(mono.horizontalAdvance(t) for t in texts)
        # Room for the widest text plus the cell's margins: nothing is elided.
        assert view.columnWidth(c) >= widest + 6, (model.headerData(c, Qt.Horizontal), widest)
        # ... and no column (the total was) takes far more than its texts need.
        header = fm.horizontalAdvance(model.headerData(c, Qt.Horizontal))
        assert view.columnWidth(c) <= max(widest, header) + 40
    header = view.horizontalHeader()
    assert not header.stretchLastSection()
    # The numbers come before the long expressions, so they are in view in a narrow dock.
    shown = [model.headerData(header.logicalIndex(v), Qt.Horizontal) for v in range(7)]
    assert shown == ["step", "node", "gradient", "contribution", "total", "local derivative",
                     "upstream"]
    assert header.sectionViewportPosition(5) + view.columnWidth(5) < \
        header.sectionViewportPosition(3)  # contribution ends before local derivative starts
    # An upstream cell is whole, with its number: (y2 - A4)**2 is the node pow2 and
    # E_2 = 0.5 * pow2, E_total = E_1 + E_2, so dE_total/dpow2 = 1 * 0.5 = 0.5.
    upstream = [model.index(r, 4).data() for r in range(model.rowCount())]
    assert "dE_total/dpow2 = 0.5" in upstream


def test_notices_use_a_style_icon_and_no_warning_colour(window: Any, qtbot: Any) -> None:
    from graphgui.gui.theme import current_theme

    panel = open_graph(window, qtbot, parse(CHAIN))
    colors = current_theme().colors
    key(window, "Shift+F11")
    QTest.mouseClick(panel.update_tab.apply_button, Qt.LeftButton)
    assert "Gradient descent step applied" in panel.message_label.text()
    assert panel.message_kind == "info"
    # Not orange like a warning, and no glyph that default fonts lack (U+24D8).
    assert colors.grad not in panel.message_label.text()
    assert colors.error not in panel.message_label.text()
    assert "ⓘ" not in panel.message_label.text()
    assert panel.message_icon.isVisible() and not panel.message_icon.pixmap().isNull()
    # A failing graph is an error: red, with the warning icon.
    open_graph(window, qtbot, parse("a = [1, 2]; b = [1, 2, 3]; c = a + b"))
    assert panel.message_kind == "error" and colors.error in panel.message_label.text()
    assert panel.message_icon.isVisible()


# ---- edits, failures, tensors, precision ---------------------------------------------------


def test_editing_while_stepping_resets_with_a_notice(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    n = ids(window.document.graph)
    key(window, "F10")
    key(window, "F10")
    # Moving a node changes no number: stepping goes on.
    window.document.move_nodes({n["x"]: (10.0, 20.0)})
    assert current_items(window) == [n["f"]]
    window.document.set_value(n["x"], 1.0)
    # At once, before any re-evaluation: no overlay, no stepper, a notice.
    assert window.scene.overlay is None and panel.stepper is None
    assert "reset" in window.statusBar().currentMessage()
    assert panel.message_label.isVisible() and "reset" in panel.message_label.text()
    settle(qtbot, window)
    key(window, "F10")
    key(window, "F10")  # the new numbers: (1 + 5) * -4 = -24
    assert "f = q * z = 6 * (-4) = -24" in text(panel)
    assert not panel.message_label.isVisible()
    # Opening another graph resets too.
    window.set_document(Document(parse("a = 2; b = a * a")))
    assert panel.stepper is None and window.scene.overlay is None
    assert "Ready" in panel.position_label.text()


def test_failing_graph_disables_stepping(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse("a = [1, 2]; b = [1, 2, 3]; c = a + b"))
    for name in ("forward", "backward", "run_end", "run_node"):
        assert not panel.tool_button(name).isEnabled(), name
    assert panel.message_label.isVisible()
    assert "cannot be stepped through: c:" in panel.message_label.text()
    key(window, "F10")  # the disabled shortcut does nothing
    assert panel.stepper is None and window.scene.overlay is None
    # Fixing the graph enables stepping again.
    b = ids(window.document.graph)["b"]
    window.document.set_value(b, [10, 20])
    settle(qtbot, window)
    assert panel.tool_button("forward").isEnabled() and not panel.message_label.isVisible()
    click(panel, "forward")
    assert "c = a + b = [1, 2] + [10, 20] = [11, 22]" in text(panel)


def test_empty_graph_gives_a_neutral_hint(window: Any, qtbot: Any) -> None:
    panel = window.stepper_panel
    settle(qtbot, window)
    assert not panel.action_forward.isEnabled()
    # A first launch is not an error: no red "Cannot step", a hint on how to begin.
    assert panel.message_kind == "" and not panel.message_label.isVisible()
    assert "Cannot step" not in panel.position_label.text()
    assert "Empty graph" in panel.position_label.text()
    assert "Type an expression" in text(panel) and "palette" in text(panel)
    key(window, "F10")  # disabled: nothing happens, nothing turns red
    assert panel.stepper is None and panel.message_kind == ""
    # The first node makes the graph steppable.
    window.document.add_node("input", (0.0, 0.0), name="x", value=2.0)
    settle(qtbot, window)
    assert panel.error is None
    assert "Empty graph" not in panel.position_label.text()


def test_unrelated_failing_node_does_not_block_stepping(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    f = ids(window.document.graph)["f"]
    # A half-built corner: an unwired sigmoid fails ("input 'x' is not connected").
    window.document.add_node("sigmoid", (0.0, 300.0))
    settle(qtbot, window)
    assert window.evaluator.evaluation.errors  # the editor does report it
    assert panel.error is None and panel.message_kind == ""
    assert "Cannot step" not in panel.position_label.text()
    assert panel.tool_button("forward").isEnabled()
    key(window, "Shift+F11")
    assert "gradients complete" in panel.position_label.text()
    assert panel.stepper.program.output_id == f
    assert window.scene.node_items[ids(window.document.graph)["x"]].badge_text == "∂ -4"


def test_nonfinite_value_warns_and_keeps_the_red_frame(window: Any, qtbot: Any) -> None:
    # a = 2x = -2, q = ln(a) = ln(-2) is nan, f = q + x.
    panel = open_graph(window, qtbot, parse("x = -1; a = x * 2; q = log(a); f = q + x"))
    n = ids(window.document.graph)
    scene = window.scene
    assert scene.node_items[n["q"]].error  # the evaluation frames q in red
    key(window, "F10")  # a = -2: nothing wrong yet
    assert panel.message_kind == "" and not scene.node_items[n["q"]].error
    key(window, "F10")  # q = ln(-2) = nan
    assert panel.message_kind == "warning" and panel.message_label.isVisible()
    message = panel.message_label.text()
    assert "q = ln(-2) is nan" in message and "not meaningful" in message
    assert scene.node_items[n["q"]].error  # the red frame stays while stepping
    assert not scene.node_items[n["a"]].error
    key(window, "Shift+F11")
    assert "gradients complete" in panel.position_label.text()
    assert panel.message_kind == "warning" and scene.node_items[n["q"]].error
    key(window, "Shift+F9")  # reset: the evaluation's own error frame is back
    assert window.scene.overlay is None and scene.node_items[n["q"]].error
    assert panel.message_kind == ""


def test_node_ids_never_show_in_the_dock(window: Any, qtbot: Any) -> None:
    import re

    panel = open_graph(window, qtbot, parse("x = -2; y = 5; f = (x + y) * 3"))
    graph = window.document.graph
    node_id = re.compile(r"\bn\d+\b")
    seen = []
    while panel.action_backward.isEnabled():
        key(window, "F10" if panel.action_forward.isEnabled() else "F11")
        seen.append(text(panel))
    # The unnamed sum is called "add", as the canvas titles it: -2 + 5 = 3.
    assert "Forward pass · computing add\nadd = x + y = (-2) + 5 = 3" in seen[0]
    for body in seen:
        assert not node_id.search(body), body
    # The refusal names the node as the canvas does, not by its id.
    add = next(n for n in graph if n.op == "add")
    key(window, "Shift+F9")
    window.scene.select_nodes([add.id])
    key(window, "Ctrl+F10")  # forward, to add
    key(window, "Ctrl+F10")  # backward, to add
    key(window, "F11")  # past it
    key(window, "Ctrl+F10")  # add is behind now: refused
    message = window.statusBar().currentMessage()
    assert message.startswith("add has no step ahead") and not node_id.search(message)


def test_tensor_graph_shows_shapes_and_norms(window: Any, qtbot: Any) -> None:
    panel = open_graph(
        window, qtbot, parse("W = param([[1, 2, 3], [4, 5, 6]]); x = [1, 1, 1]; "
                             "h = W @ x; L = sum(h)"))
    n = ids(window.document.graph)
    key(window, "F10")  # h = W @ x = [6, 15]
    assert "[6, 15]" in text(panel)
    key(window, "Shift+F11")
    # dL/dW = ones(2) outer x = a 2x3 matrix of ones, norm sqrt(6) = 2.449.
    badge = window.scene.node_items[n["W"]].badge_text
    assert badge == f"∂ [2x3] |{math.sqrt(6):.4g}|"
    table = panel.update_tab.table
    assert table.item(0, 0).text() == "W"
    assert table.item(0, 2).text() == f"[2x3] |{math.sqrt(6):.4g}|"


def test_precision_spin_changes_the_digits(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse("x = 2; f = exp(x)"))
    key(window, "F10")
    assert f"= {math.exp(2):.4g}" in text(panel)  # 7.389
    panel.precision_spin.setValue(7)
    assert f"= {math.exp(2):.7g}" in text(panel)  # 7.389056
    assert current_items(window) != []  # the position is kept
    assert window.scene.node_items[ids(window.document.graph)["f"]].value_text == \
        f"{math.exp(2):.7g}"


def test_user_guide_lists_the_stepper_keys(window: Any) -> None:
    from pathlib import Path

    guide = (Path(__file__).parents[2] / "docs" / "user-guide.md").read_text(encoding="utf-8")
    section = guide.split("## Stepping through backprop", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and cells[1] and cells[0] != "Action":
            documented[cells[0]] = cells[1]
    actual = {a.text().replace("&", ""): a.shortcut().toString()
              for a in window.stepper_panel.actions_by_name.values()}
    assert documented == actual


def test_the_logs_step_column_says_it_counts_nodes_not_the_docks_steps() -> None:
    from graphgui.gui.panels.stepper.log import LogModel

    tip = LogModel().headerData(0, Qt.Horizontal, Qt.ToolTipRole)
    assert "node" in tip and "closed function as one step" in tip
