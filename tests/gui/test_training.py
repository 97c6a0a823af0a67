"""Training in the editor: the Trainer dock drives a training process; the graph is locked
while it runs; the trained values come back as one undo step; data sets, Dense layers and parameter
resets are one undo step each; the plots receive the numbers.

Expected numbers come from NumPy written here (the notebook's loop, closed forms), never from
the Trainer under test. No sleeps: qtbot.waitUntil / waitSignal only.
"""

from __future__ import annotations

import math
import os
import signal
from typing import Any

import numpy as np
import pytest
from gui_helpers import canonical
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem

from graphgui.core.examples import load_example_document
from graphgui.core.expr import parse
from graphgui.core.graph import Graph, GraphError
from graphgui.gui.document import Document

TIMEOUT = 20_000


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def open_example(make_window: Any, name: str, **training: Any) -> tuple[Any, Any]:
    graph, settings = load_example_document(name)
    settings["training"].update(training)
    window = make_window(Document(graph, settings=settings))
    return window, window.training_panel


def by_name(graph: Graph) -> dict[str, Any]:
    return {n.name: n.value for n in graph.nodes if n.name}


def notebook_losses(X: np.ndarray, Y: np.ndarray, p: dict[str, Any], epochs: int,
                    lr: float) -> tuple[list[float], dict[str, np.ndarray]]:
    """The notebook's SimpleNeuralNetwork.train, written out."""
    W1, b1, W2, b2 = (np.array(p[k], dtype=float) for k in ("W1", "b1", "W2", "b2"))
    m = Y.shape[1]
    losses = []
    for _ in range(epochs):
        A1 = sigmoid(W1 @ X + b1)
        A2 = sigmoid(W2 @ A1 + b2)
        losses.append(float(-(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)).mean()))
        dZ2 = A2 - Y
        dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
        W2, b2 = W2 - lr * dZ2 @ A1.T / m, b2 - lr * dZ2.sum(1, keepdims=True) / m
        W1, b1 = W1 - lr * dZ1 @ X.T / m, b1 - lr * dZ1.sum(1, keepdims=True) / m
    return losses, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def wait_idle(qtbot: Any, panel: Any) -> None:
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=TIMEOUT)


# ---- start, pause, resume, stop ------------------------------------------------------------------


def test_start_pause_resume_stop_from_the_buttons(make_window: Any, qtbot: Any) -> None:
    window, panel = open_example(make_window, "moons_network", epochs=1_000_000)
    doc = window.document
    before = canonical(doc.graph)
    qtbot.mouseClick(panel.start_button, Qt.LeftButton)
    assert panel.state == "running" and doc.locked
    qtbot.waitUntil(lambda: panel.loss_plot.epochs.n > 20, timeout=TIMEOUT)

    qtbot.mouseClick(panel.pause_button, Qt.LeftButton)
    assert panel.state == "paused" and panel.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: panel.worker.waiting, timeout=TIMEOUT)
    held = panel.trainer.epoch
    for _ in range(5):  # the event loop turns, the trainer does not
        panel.drain()
        qtbot.waitUntil(lambda: panel.worker.waiting, timeout=TIMEOUT)
    assert panel.trainer.epoch == held
    assert panel.loss_plot.epochs.values[-1] == held
    assert "paused" in panel.progress_detail.text()

    qtbot.mouseClick(panel.pause_button, Qt.LeftButton)  # Resume
    assert panel.state == "running"
    qtbot.waitUntil(lambda: panel.trainer.epoch > held + 10, timeout=TIMEOUT)

    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.stop_button, Qt.LeftButton)
    assert panel.state == "idle" and not doc.locked
    trained = panel.trainer.epoch
    assert trained > held + 10 and trained < 1_000_000
    assert f"Stopped after {trained} epochs" in panel.status.text()
    # One undo step holds every trained value; undo gives back the graph as it was.
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == f"Train {trained} epochs"
    values = panel.trainer.parameters()
    for pid, value in values.items():
        np.testing.assert_array_equal(doc.graph.node(pid).value, value)
    window.action_undo.trigger()
    assert canonical(doc.graph) == before
    window.action_redo.trigger()
    for pid, value in values.items():
        np.testing.assert_array_equal(doc.graph.node(pid).value, value)


def test_full_training_matches_the_notebook_and_fills_the_plots(make_window: Any,
                                                                qtbot: Any) -> None:
    window, panel = open_example(make_window, "moons_network", epochs=300, eval_every=1)
    graph = window.document.graph
    start = by_name(graph)
    X, Y = start["X"], start["Y"]
    assert panel.epochs.value() == 300
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        assert panel.start()
    losses, final = notebook_losses(X, Y, start, 300, 0.1)
    # Loss plot: the notebook's losses, epoch by epoch.
    xs, ys = panel.loss_plot.train_curve.xData, panel.loss_plot.train_curve.yData
    np.testing.assert_array_equal(xs, np.arange(1, 301))
    np.testing.assert_allclose(ys, losses, rtol=1e-10)
    # Test loss and accuracy from the final parameters on the test set (epoch 300).
    ex = panel.loss_plot.test_curve.xData
    assert len(ex) == 300 and ex[-1] == 300
    ax, ay = panel.loss_plot.train_acc_curve.xData, panel.loss_plot.train_acc_curve.yData
    assert len(ax) == 300 and np.all((ay >= 0) & (ay <= 1))
    # The graph now holds the notebook's parameters after 300 epochs.
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(graph.find(name).value, final[name], rtol=1e-9, atol=1e-12)
    # Gradient norms: one curve per parameter, 300 points, matching the notebook's first
    # gradient for W2: ||dZ2 @ A1.T / m|| at the start.
    assert set(panel.grad_plot.curves) == {"W1", "b1", "W2", "b2"}
    gx, gy = panel.grad_plot.curves["W2"].xData, panel.grad_plot.curves["W2"].yData
    assert len(gx) == 300
    A1 = sigmoid(start["W1"] @ X + start["b1"])
    dZ2 = sigmoid(start["W2"] @ A1 + start["b2"]) - Y
    assert gy[0] == pytest.approx(np.linalg.norm(dZ2 @ A1.T / Y.shape[1]), rel=1e-9)
    # Decision boundary: the trained network's output over the 120 x 120 grid.
    bp = panel.boundary_plot
    assert bp.image.image.shape == (120, 120) and bp.epoch == 300
    grid = bp.grid
    expected = sigmoid(final["W2"] @ sigmoid(final["W1"] @ grid + final["b1"]) + final["b2"])
    np.testing.assert_allclose(bp.image.image, expected.reshape(120, 120), rtol=1e-9)
    # The grid spans the data with the notebook's margin of 1.
    assert grid[0].min() == pytest.approx(min(X[0].min(), bp.test_points.data["x"].min()) - 1)
    assert len(bp.train_points.data) == X.shape[1]
    assert "Trained 300 epochs: loss" in panel.status.text()


def test_step_epoch_trains_one_epoch_at_a_time(make_window: Any, qtbot: Any) -> None:
    window, panel = open_example(make_window, "gradient_descent_x2")
    doc = window.document
    assert panel.step_epoch()
    qtbot.waitUntil(lambda: panel.trainer.epoch == 1 and panel.worker.waiting,
                    timeout=TIMEOUT)
    assert panel.state == "paused" and doc.locked
    assert panel.step_epoch()
    qtbot.waitUntil(lambda: panel.trainer.epoch == 2 and panel.worker.waiting,
                    timeout=TIMEOUT)
    panel.drain()
    assert list(panel.loss_plot.train.values) == [25.0, 16.0]  # f(5), f(4)
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.stop()
    assert doc.graph.find("x").value == pytest.approx(5 * 0.8**2, rel=1e-15)
    assert doc.undo_stack.undoText() == "Train 2 epochs"


def test_quick_step_epoch_clicks_each_train_one_more_epoch(make_window: Any, qtbot: Any) -> None:
    window, panel = open_example(make_window, "moons_network")
    step = panel.train_actions.step  # Train > Step Epoch
    step.trigger()
    qtbot.waitUntil(lambda: panel.worker is not None and panel.worker.waiting
                    and panel.trainer.epoch == 1, timeout=TIMEOUT)
    for _ in range(10):  # faster than an epoch and its pause: no click may be lost
        step.trigger()
    qtbot.waitUntil(lambda: panel.worker.waiting and panel.trainer.epoch == 11,
                    timeout=TIMEOUT)
    assert panel.state == "paused"
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.train_actions.stop.trigger()
    assert panel.status.text().startswith("Stopped after 11 epochs")


def test_training_without_data_runs_gradient_descent_on_the_output(make_window: Any,
                                                                   qtbot: Any) -> None:
    window, panel = open_example(make_window, "gradient_descent_x2")
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.start()
    assert window.document.graph.find("x").value == pytest.approx(5 * 0.8**30, rel=1e-12)
    assert "No data set" in panel.data_label.text()


# ---- the lock ------------------------------------------------------------------------------------


def test_graph_is_locked_while_training_and_unlocked_after(make_window: Any, qtbot: Any) -> None:
    window, panel = open_example(make_window, "moons_network", epochs=1_000_000)
    doc = window.document
    x_id = doc.graph.find("X").id
    panel.start()
    assert doc.locked
    qtbot.waitUntil(lambda: panel.trainer.epoch > 3, timeout=TIMEOUT)
    with pytest.raises(GraphError, match="Training is running"):
        doc.add_node("sigmoid", (0, 0))
    with pytest.raises(GraphError, match="Training is running"):
        doc.rename(x_id, "inputs")
    # The canvas refuses with a status message, nothing is raised into Qt.
    assert window.view.add_node_at("tanh", window.view.mapToScene(10, 10)) is None
    assert "Training is running" in window.statusBar().currentMessage()
    assert not window.action_undo.isEnabled() and not window.action_delete.isEnabled()
    assert not window.action_paste.isEnabled() and not window.action_layout.isEnabled()
    items = window.scene.node_items.values()
    assert not any(item.flags() & QGraphicsItem.ItemIsMovable for item in items)
    assert not panel.data_button.isEnabled() and not panel.lr.isEnabled()
    assert not panel.reset_parameters() and "Training is running" in panel.message
    assert doc.undo_stack.count() == 0
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.stop()
    assert not doc.locked
    assert window.action_undo.isEnabled() and window.action_delete.isEnabled()
    assert all(item.flags() & QGraphicsItem.ItemIsMovable for item in items)
    assert panel.lr.isEnabled() and panel.data_button.isEnabled()
    node = doc.add_node("sigmoid", (0, 0))
    assert node in doc.graph


def test_closing_or_replacing_the_document_stops_training_first(make_window: Any,
                                                                qtbot: Any) -> None:
    window, panel = open_example(make_window, "moons_network", epochs=1_000_000)
    doc = window.document
    panel.start()
    qtbot.waitUntil(lambda: panel.trainer.epoch > 5, timeout=TIMEOUT)
    # The panel's guard runs before the unsaved-changes prompt, so that prompt sees (and can
    # save) the trained values.
    guards = window._close_guards
    assert guards.index(panel.close_guard) < len(guards) - 1
    assert panel.close_guard()
    assert panel.state == "idle" and not doc.locked
    assert doc.undo_stack.count() == 1  # the trained values were kept
    panel.start()
    window.set_document(Document())
    assert panel.state == "idle" and panel.document is window.document


# ---- non-finite loss --------------------------------------------------------------------------


def test_non_finite_loss_stops_cleanly_naming_the_node(make_window: Any, qtbot: Any) -> None:
    # x <- x - 1.5 * 2x = -2x: x = 5 (-2)^k; f = x^2 overflows to inf after ~510 steps.
    window, panel = open_example(make_window, "gradient_descent_x2", lr=1.5, epochs=5000)
    doc = window.document
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT) as blocker:
        panel.start()
    worker = blocker.args[0]
    error = worker.error
    assert error is not None and error.node_id == doc.graph.find("f").id
    E = error.epoch
    last, kept = 5.0 * 2.0 ** (E - 1), 5.0 * 2.0 ** (E - 2)
    assert not math.isfinite(last * last) and math.isfinite(kept * kept)  # loss of epoch E
    text = panel.status.text()
    assert text.startswith(f"Training stopped: epoch {E}: the loss became infinite: f")
    assert "kept the last finite parameters" in text
    # The last parameters whose loss was finite: x_{E-2} (exact: doubling is exact).
    assert doc.graph.find("x").value == 5.0 * (-2.0) ** (E - 2)
    assert not doc.locked and panel.state == "idle"
    assert doc.undo_stack.count() == 1
    window.action_undo.trigger()
    assert doc.graph.find("x").value == 5.0


def test_a_training_process_that_dies_ends_the_run_keeping_its_last_parameters(
        make_window: Any, qtbot: Any) -> None:
    window, panel = open_example(make_window, "moons_network", epochs=1_000_000)
    doc = window.document
    before = doc.graph.find("W1").value.copy()
    panel.train_actions.start.trigger()  # Train > Start Training
    assert panel.state == "running"
    qtbot.waitUntil(lambda: panel.worker._last_values is not None
                    and panel.worker._last_values[0] > 100, timeout=TIMEOUT)
    worker = panel.worker
    worker_pid = worker._process.pid
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        os.kill(worker_pid, signal.SIGKILL)  # as if out of memory
    kept_epoch, kept = worker._last_values
    text = panel.status.text()
    assert text == ("Training stopped: the training process ended unexpectedly (killed by "
                    f"SIGKILL); kept the parameters of epoch {kept_epoch}")
    assert not doc.locked and panel.state == "idle"
    # Nothing is lost: the last parameters it sent are the graph's, one undo step named
    # after their epoch, and the timeline ends there.
    w1 = doc.graph.find("W1").value
    assert not np.array_equal(w1, before)
    np.testing.assert_array_equal(w1, kept[doc.graph.find("W1").id])
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == f"Train {kept_epoch} epochs"
    assert worker.timeline.epochs[-1] == kept_epoch
    # The next run starts a new process and trains on from there.
    panel.train_actions.step.trigger()  # Train > Step Epoch
    qtbot.waitUntil(lambda: panel.worker is not None and panel.worker.waiting
                    and panel.trainer.epoch == 1, timeout=TIMEOUT)
    assert panel.worker._process.pid != worker_pid
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.train_actions.stop.trigger()
    assert "Stopped after 1 epoch" in panel.status.text()


def test_bad_settings_are_refused_before_starting(make_window: Any) -> None:
    window = make_window(Document(parse("x = 2\nf = x * x\n")))
    panel = window.training_panel
    assert not panel.start()
    assert panel.message.startswith("Cannot train: no parameter node feeds the loss")
    assert panel.state == "idle" and not window.document.locked


# ---- settings ------------------------------------------------------------------------------------


def test_widgets_show_and_save_the_documents_training_settings(make_window: Any) -> None:
    window, panel = open_example(make_window, "moons_sgd")
    doc = window.document
    assert panel.optimizer_combo.currentData() == "sgd"
    assert panel.batch_mode.currentData() == "sgd" and panel.epochs.value() == 200
    assert not doc.modified
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("adam"))
    panel.lr.setValue(0.005)
    panel.batch_mode.setCurrentIndex(panel.batch_mode.findData("mini"))
    panel.batch_size.setValue(16)
    panel.l2.setValue(0.001)
    saved = doc.settings["training"]
    assert (saved["optimizer"], saved["lr"], saved["batch_size"], saved["l2"]) == (
        "adam", 0.005, 16, 0.001)
    assert saved["dataset"]["kind"] == "moons"
    assert doc.modified
    # A document whose settings change elsewhere (undo of a data set...) updates the widgets.
    doc.set_setting("training", {**saved, "epochs": 77, "batch_size": None})
    assert panel.epochs.value() == 77 and panel.batch_mode.currentData() == "full"
    # A learning rate of 1,000 (to watch training blow up) is shown as it is, not as 100.
    doc.set_setting("training", {**doc.settings["training"], "lr": 1000.0})
    assert panel.lr.value() == 1000.0 and doc.settings["training"]["lr"] == 1000.0


# ---- data sets, Dense layers, parameter reset ------------------------------------------------


def test_inserting_a_data_set_is_one_undo_step(make_window: Any) -> None:
    window = make_window()
    doc, panel = window.document, window.training_panel
    assert panel.insert_dataset({"kind": "xor", "n": 50, "seed": 3, "test_size": 0.3})
    assert doc.undo_stack.count() == 1
    X, Y = doc.graph.find("X"), doc.graph.find("Y")
    assert X.op == Y.op == "input"
    # train_test_split keeps ceil(0.3 * 50) = 15 for test: 35 training columns.
    assert X.value.shape == (2, 35) and Y.value.shape == (1, 35)
    # XOR: label 1 exactly where the two coordinates differ in sign (noise 0).
    np.testing.assert_array_equal(Y.value[0], (X.value[0] * X.value[1] < 0).astype(float))
    assert doc.settings["training"]["dataset"]["kind"] == "xor"
    assert "35 train / 15 test" in panel.data_label.text()
    # Again with other data: the same nodes are refilled, still one step.
    assert panel.insert_dataset({"kind": "circles", "n": 100})
    assert doc.undo_stack.count() == 2 and len(doc.graph) == 2
    assert doc.graph.find("X").value.shape == (2, 70)
    doc.undo_stack.undo()
    assert doc.graph.find("X").value.shape == (2, 35)
    assert doc.settings["training"]["dataset"]["kind"] == "xor"
    doc.undo_stack.undo()
    assert len(doc.graph) == 0 and "training" not in doc.settings
    doc.undo_stack.redo()
    assert doc.graph.find("X").value.shape == (2, 35)


def test_a_bad_data_set_or_a_non_input_x_is_refused(make_window: Any) -> None:
    window = make_window(Document(parse("X = param(1)\n")))
    panel = window.training_panel
    assert not panel.insert_dataset({"kind": "moons"})
    assert "X is a parameter node" in panel.message
    assert not panel.insert_dataset({"kind": "moons", "noise": -1})
    assert "'noise' must be in [0, inf], got -1" in panel.message
    assert window.document.undo_stack.count() == 0


def test_dataset_dialog_builds_the_spec() -> None:
    from graphgui.gui.datasets_ui import DatasetDialog

    dialog = DatasetDialog()
    dialog.kind.setCurrentIndex(dialog.kind.findData("circles"))
    dialog.n.setValue(80)
    dialog.noise.setValue(0.05)
    dialog.seed.setValue(7)
    dialog.test_size.setValue(0.25)
    dialog.standardize.setChecked(True)
    assert dialog.spec() == {"kind": "circles", "n": 80, "seed": 7, "noise": 0.05,
                             "test_size": 0.25, "standardize": True}
    dialog.kind.setCurrentIndex(dialog.kind.findData("ising"))
    assert not dialog.noise.isEnabled() and "noise" not in dialog.spec()
    dialog.deleteLater()


def test_inserting_a_dense_layer_is_one_undo_step_wired_to_the_selection(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    doc, panel = window.document, window.training_panel
    panel.insert_dataset({"kind": "moons"})
    x_id = doc.graph.find("X").id
    window.scene.select_nodes([x_id])
    before = canonical(doc.graph)
    ids = panel.insert_dense(2, 4, "tanh", {"kind": "normal", "scale": 0.01}, seed=0,
                             source=panel._selected_one())
    assert doc.undo_stack.count() == 2
    names = [doc.graph.node(i).name for i in ids]
    assert names == ["W1", "b1", "WA1", "Z1", "A1"]
    np.random.seed(0)
    W1 = np.random.randn(4, 2) * 0.01
    np.testing.assert_array_equal(doc.graph.find("W1").value, W1)
    assert doc.graph.find("b1").value.shape == (4, 1) and not doc.graph.find("b1").value.any()
    assert doc.graph.input_ids(ids[2]) == [ids[0], x_id]
    ev = window.evaluator.evaluate_now()
    X = doc.graph.find("X").value
    np.testing.assert_allclose(ev.values[ids[4]], np.tanh(W1 @ X), rtol=1e-12)
    # A second layer gets the next free names.
    more = panel.insert_dense(4, 1, "sigmoid", source=ids[4])
    assert [doc.graph.node(i).name for i in more] == ["W2", "b2", "WA2", "Z2", "A2"]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert canonical(doc.graph) == before


def test_reset_parameters_is_one_undo_step_with_the_chosen_initializer(make_window: Any) -> None:
    window, panel = open_example(make_window, "moons_network")
    doc = window.document
    before = canonical(doc.graph)
    panel.init_combo.setCurrentIndex(panel.init_combo.findData("he"))
    panel.init_seed.setValue(3)
    assert doc.settings["initializer"] == {"weights": {"kind": "he"}, "biases": "zeros",
                                           "seed": 3}
    assert panel.reset_parameters() == 4
    assert doc.undo_stack.count() == 1
    # He normal: N(0, 2 / fan_in), drawn W1 then W2 from one RandomState(3).
    rng = np.random.RandomState(3)
    W1 = rng.randn(4, 2) * math.sqrt(2 / 2)
    W2 = rng.randn(1, 4) * math.sqrt(2 / 4)
    g = doc.graph
    np.testing.assert_allclose(g.find("W1").value, W1, rtol=1e-15)
    np.testing.assert_allclose(g.find("W2").value, W2, rtol=1e-15)
    assert not g.find("b1").value.any() and not g.find("b2").value.any()
    doc.undo_stack.undo()
    assert canonical(doc.graph) == before


# ---- activation panel ----------------------------------------------------------------------------


def test_activation_panel_follows_the_selected_node(make_window: Any, qtbot: Any) -> None:
    window = make_window(Document(parse("w = param(2)\nx = -0.5\nz = w * x\nf = sigmoid(z)\n")))
    graph = window.document.graph
    plot = window.training_panel.activation_plot
    window.scene.select_nodes([graph.find("f").id])
    assert plot.node_id == graph.find("f").id
    xs = plot.xs
    assert xs[0] <= -5 and xs[-1] >= 5
    s = 1 / (1 + np.exp(-xs))
    fx, fy = plot.f_curve.getData()
    np.testing.assert_allclose(fy, s, rtol=1e-12)
    dx, dy = plot.df_curve.getData()
    np.testing.assert_allclose(dy, s * (1 - s), rtol=1e-10)
    # The notebook's forward difference with delta 1e-5: error about delta/2 * |f''| <= 1e-6.
    np.testing.assert_allclose(plot.numeric, s * (1 - s), atol=2e-6)
    # The current input z = w * x = -1 is marked, on the curve.
    mx, my = plot.marks.getData()
    assert list(mx) == [-1.0] and my[0] == pytest.approx(1 / (1 + math.e))
    assert plot.vline.isVisible() and plot.vline.value() == -1.0
    # A node with two inputs is not an activation: a hint instead of curves.
    window.scene.select_nodes([graph.find("z").id])
    assert plot.node_id is None and "select an activation" in plot.message.text()
