"""Render the screenshots of the README and the user guide from the app itself.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [OUT_DIR]

Writes main-window.png (the sigmoid neuron), network-inspector.png (the 2-2-2 network with
w1 selected), stepper.png (backward step 17 of 41 in the 2-2-2 network), paths.png (the
Paths dock for w1 in the 2-2-2 network, at 1366x768), forward-mode.png (the Forward Mode dock
at step 2 of 3 from x in the chain-rule example, at 1366x768), training.png (the
notebook's two-moons network after a run), functions.png (the 2-2-2 network as it opens, two
layers and a loss, stepped over), open-up.png (the neuron's sigmoid opened up into
1 / (1 + exp(-x)), stepping inside it), export-code.png (File > Export Code on the moons
network), sample.png (sample 17 of the moons network, picked on the boundary plot), timeline.png
(two moons runs from the same start, lr 1 over lr 0.1, at epoch 100 of the timeline),
landscape.png (the Landscape dock: the optimizers racing on f = x**2 + 9 y**2), health.png
(the vanishing-gradients pair after its 150 epochs: the Health dock and the canvas's bands) and
network.png (``graphgui export`` of the 2-2-2
network) to docs/images, or to OUT_DIR. Settings and autosaves go to a temporary folder, so
the user's own are untouched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt  # noqa: E402

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else IMAGES
    out.mkdir(parents=True, exist_ok=True)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    os.environ["GRAPHGUI_DATA_DIR"] = tempfile.mkdtemp()
    from PySide6.QtGui import QGuiApplication

    from graphgui.core.examples import load_example_document
    from graphgui.gui.application import application
    from graphgui.gui.export import export_image
    from graphgui.gui.main_window import MainWindow

    app = application()

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds  # dock animations and the framing timer
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def train_to_end(training: object) -> None:
        """Start a run in the Trainer dock and wait (at most a minute) until it ends."""
        training.start()
        deadline = time.monotonic() + 60
        while training.state != "idle" and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)

    def window_at(width: int, height: int, example: str) -> MainWindow:
        window = MainWindow()
        window.resize(width, height)
        window.show()
        settle()
        window.file_controller.example_actions[example].trigger()
        settle(0.6)
        return window

    def shoot(window: MainWindow, name: str) -> None:
        window.grab().save(str(out / name))
        window.document.set_clean()
        window.close()
        print("wrote", out / name)

    window = window_at(1400, 850, "neuron")
    shoot(window, "main-window.png")

    def open_layers(window: MainWindow) -> None:
        """Every layer of the open example opened and laid out node by node (the classic
        picture of the notebook); the document stays unmodified."""
        from graphgui.core.layout import apply_layout, layered_layout

        graph = window.document.graph
        with graph.bulk_edit():
            for group in graph.groups:
                graph.set_collapsed(group.id, False)
            apply_layout(graph, layered_layout(graph))
        window.action("fit").trigger()
        settle()

    window = window_at(1600, 900, "network_2_2_2")
    open_layers(window)
    w1 = window.document.graph.find("w1")
    window.select_nodes([w1.id])
    window.inspector_dock.raise_()
    settle()
    shoot(window, "network-inspector.png")

    window = window_at(1600, 1000, "network_2_2_2")
    open_layers(window)
    panel = window.stepper_panel
    panel.run_to_end()
    panel.reset()
    while panel.stepper is not None and panel.stepper.position.backward < 17:
        panel.backward_step()
    settle()
    shoot(window, "stepper.png")

    window = window_at(1366, 768, "network_2_2_2")  # a laptop screen
    open_layers(window)
    window.select_nodes([window.document.graph.find("w1").id])
    window.autodiff.paths.action.trigger()  # Autodiff > Paths to Output
    paths = window.autodiff.paths
    deadline = time.monotonic() + 30
    while paths.pending and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    paths.table.selectRow(0)  # the first path drawn on the canvas
    settle()
    shoot(window, "paths.png")

    window = window_at(1366, 768, "chain_rule")  # forward mode, on a laptop screen
    forward = window.autodiff.forward
    forward.dock.raise_()
    forward.action_show.trigger()  # Autodiff > Show Tangents: d/dx on every wire
    forward.step()
    forward.step()  # at q: dq/dx = 1 * 1 + 1 * 0 = 1
    settle()
    shoot(window, "forward-mode.png")

    window = window_at(1600, 1000, "x_tanh_x")  # Autodiff > Gradient as Graph, x selected
    window.select_nodes([window.document.graph.find("x").id])
    window.autodiff.gradient_graph.action.trigger()
    settle(0.6)
    window.action("zoom_reset").trigger()
    window.action("zoom_out").trigger()  # above 70 %: the second derivatives on the wires
    window.view.centerOn(window.scene.itemsBoundingRect().center())
    settle()
    shoot(window, "gradient-graph.png")

    window = window_at(1500, 1000, "moons_network")
    training = window.training_panel
    train_to_end(training)
    settle(0.8)
    window.training_panel.dock.raise_()  # the Trainer dock in front, with its progress
    settle()
    shoot(window, "training.png")

    window = window_at(1366, 768, "network_2_2_2")  # as it opens: two layers and a loss
    panel = window.stepper_panel
    window.stepper_panel.dock.raise_()
    for _ in range(3):
        panel.forward_step()
    panel.backward_step()
    panel.backward_step()  # layer2 as one step, its local gradients from its inside
    item = next(i for i in window.scene.functions.items.values() if i.title == "layer1")
    item.setSelected(True)  # the inspector: layer1's outputs and parameters
    window.inspector_dock.raise_()
    settle()
    shoot(window, "functions.png")

    window = window_at(1366, 768, "neuron")  # the CS231n lesson: sigmoid opened up
    graph = window.document.graph
    sigmoid = next(n for n in graph if n.op == "sigmoid")
    window.select_nodes([sigmoid.id])
    window.functions.open_up_action.trigger()
    window.action("fit").trigger()
    panel = window.stepper_panel
    window.stepper_panel.dock.raise_()
    panel.run_to_end()
    panel.reset()
    while panel.stepper is not None and panel.stepper.position.backward < 4:
        panel.backward_step()  # inside the opened sigmoid: its div, then add, exp, neg
    settle()
    shoot(window, "open-up.png")

    window = window_at(1366, 768, "moons_network")  # the timeline: two runs compared
    window.reset_panel_layout()  # the starting layout, not the last shot's saved one
    doc, training = window.document, window.training_panel
    doc.set_setting("training", {**doc.settings["training"], "epochs": 2000})

    train_to_end(training)
    training.timeline_bar.slider.setValue(0)
    training.timeline_bar.restore()  # back to the start: the next run starts there too
    doc.set_setting("training", {**doc.settings["training"], "lr": 1.0})
    train_to_end(training)
    bar = training.timeline_bar
    bar.slider.setValue(bar.timeline.epochs.index(100))
    training.dock.raise_()  # the Trainer: the second run's learning rate and its result
    settle()
    shoot(window, "timeline.png")

    window = window_at(1366, 768, "moons_network")  # one sample's graph: a click on a point
    window.reset_panel_layout()
    window.training_panel.boundary_plot.sample_clicked.emit(17)
    window.training_panel.docks["boundaryDock"].raise_()
    settle()
    shoot(window, "sample.png")

    window = window_at(1366, 768, "moons_network")  # File > Export Code
    dialog = window.file_controller.code_export.open_dialog()
    settle(0.6)
    dialog.grab().save(str(out / "export-code.png"))
    print("wrote", out / "export-code.png")
    dialog.close()
    window.document.set_clean()
    window.close()

    window = window_at(1600, 1000, "neuron")  # Train > Loss Landscape: the race on a bowl
    from graphgui.core.expr import parse
    from graphgui.gui.document import Document

    window.set_document(Document(parse("x = param(-1.5); y = param(1.2); f = x**2 + 9 * y**2"),
                                 settings={"training": {"lr": 0.03}}))
    window.action("fit").trigger()
    landscape = window.landscape_panel
    landscape.action.trigger()
    landscape.controls.choose("params", "x", "y")
    landscape.controls.span.setValue(2.0)
    landscape.controls.grid.setValue(61)
    landscape.controls.steps.setValue(60)
    landscape.compute()
    deadline = time.monotonic() + 60
    while (landscape.busy or landscape.racing) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    settle()
    shoot(window, "landscape.png")

    window = window_at(1600, 1000, "vanishing_gradients")  # network health, its own run
    window.health.action.trigger()  # View > Show Network Health: the bands
    training = window.training_panel
    train_to_end(training)
    window.health.dock.raise_()  # Start brought Loss forward: the Health tab in front
    trainer = window.training_panel.dock
    trainer.raise_()  # the Trainer dock, with its progress, as wide as it needs
    window.resize_panels([trainer], [trainer.minimumSizeHint().width()], Qt.Horizontal)
    window.resize_panels([window.health.dock], [330], Qt.Vertical)  # taller rows
    settle()
    window.action("fit").trigger()
    settle()
    shoot(window, "health.png")

    graph, _ = load_example_document("network_2_2_2")
    export_image(graph, str(out / "network.png"))
    print("wrote", out / "network.png")
    QGuiApplication.clipboard().clear()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
