"""The Trainer dock's Floats box (settings.training.dtype): chosen with the keyboard, saved
with the document, and a run trains in float32; its numbers agree with the notebook's
float64 loop (written out in test_training.py) to float32's precision."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_training import TIMEOUT, by_name, notebook_losses, open_example


def test_floats_box_trains_in_float32(make_window: Any, qtbot: Any) -> None:
    window, panel = open_example(make_window, "moons_network", epochs=300, eval_every=1)
    doc = window.document
    combo = panel.dtype_combo
    assert combo.currentData() == "float64" and "dtype" not in doc.settings["training"]
    combo.setFocus(Qt.TabFocusReason)
    QTest.keyClick(combo, Qt.Key_Down)
    assert combo.currentText() == "float32"
    assert doc.settings["training"]["dtype"] == "float32" and doc.modified
    start = by_name(doc.graph)
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)
    assert panel.trainer.dtype == np.float32
    assert panel.trainer.program.initial[panel.trainer._param_slots[0][1]].dtype == np.float32
    losses, final = notebook_losses(start["X"], start["Y"], start, 300, 0.1)
    ys = panel.loss_plot.train_curve.yData
    np.testing.assert_allclose(ys, losses, rtol=1e-5)
    trained = by_name(doc.graph)
    for name, value in final.items():
        assert trained[name].dtype == np.float64  # the graph keeps its float64 values
        np.testing.assert_allclose(trained[name], value, rtol=1e-4, atol=1e-6)
    # Back to float64 with the keyboard: the setting follows.
    combo.setFocus(Qt.TabFocusReason)
    QTest.keyClick(combo, Qt.Key_Up)
    assert doc.settings["training"]["dtype"] == "float64"
