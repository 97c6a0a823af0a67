"""Training must be watchable at the sizes students' screens give: the Trainer fits its dock
(nothing clipped, no horizontal scroll bar), loss and decision boundary are seen together,
legends stay out of the data, axis titles clear their tick labels, a regression gets no
accuracy plot. Everything is reached as a user would: examples from the Examples menu,
training with Ctrl+T, tabs by a mouse click. No sleeps: qtbot.waitUntil only."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import open_example_from_menu
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QTabBar

TIMEOUT = 20_000
# The default window on a 1366x768 screen (1280x720: room for the title bar and a panel),
# that screen filled, and a 1600x1000 screen filled.
SIZES = [(1280, 720), (1366, 768), (1600, 1000)]


def settle(qtbot: Any, window: Any, size: tuple[int, int]) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=TIMEOUT)
    for _ in range(3):
        QGuiApplication.processEvents()


def activate(window: Any, qtbot: Any) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    window.view.setFocus()


def press_start(window: Any, qtbot: Any) -> None:
    """Ctrl+T, as the Train menu says."""
    activate(window, qtbot)
    QTest.keyClick(window.view, Qt.Key_T, Qt.ControlModifier)
    assert window.training_panel.state in ("running", "stopping", "idle")


def click_tab(window: Any, qtbot: Any, title: str) -> None:
    """Click the dock tab called ``title`` (the visible tab bar that holds it)."""
    for bar in window.findChildren(QTabBar):
        if bar.parent() is not window or not bar.isVisible():
            continue
        for k in range(bar.count()):
            if bar.tabText(k) == title:
                qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(k).center())
                return
    raise AssertionError(f"no visible tab {title!r}")


def docks(window: Any) -> dict[str, Any]:
    return {d.objectName(): d for d in window.panels}


def shown(widget: Any) -> bool:
    """On screen: visible, not zero-sized, not behind another tab (a plot area's viewport
    covers it, so its viewport is asked)."""
    part = widget.viewport() if hasattr(widget, "viewport") else widget
    return widget.isVisible() and widget.width() > 0 and not part.visibleRegion().isEmpty()


# ---- the Trainer fits its dock (defect 3) --------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trainer_is_not_cut_off_at_the_default_window_sizes(
        make_window: Any, qtbot: Any, size: tuple[int, int]) -> None:
    window = make_window()
    settle(qtbot, window, size)
    # The run: 200,000 epochs, so the progress reads "epoch 37212 / 200000".
    open_example_from_menu(window, "moons_network", epochs=200_000)
    click_tab(window, qtbot, "Trainer")
    panel = window.training_panel
    scroll = docks(window)["trainerDock"].widget()
    qtbot.waitUntil(lambda: shown(panel), timeout=TIMEOUT)
    press_start(window, qtbot)
    qtbot.waitUntil(lambda: panel.last_result is not None and panel.last_result.epoch > 100,
                    timeout=TIMEOUT)
    panel.drain()
    assert not scroll.horizontalScrollBar().isVisible()
    assert panel.width() <= scroll.viewport().width()
    assert panel.minimumSizeHint().width() <= scroll.viewport().width()
    for button in panel.findChildren(QPushButton):
        text = button.text().replace("&", "")
        room = button.contentsRect().width() - 8  # the style's padding
        assert button.fontMetrics().horizontalAdvance(text) <= room, (text, room)
    # Every label of the form shows its whole text (wrapped ones may use several lines).
    for label in panel.findChildren(QLabel):
        if label.isVisible() and not label.wordWrap() and label.text():
            assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width(), \
                label.text()
    bar = panel.progress
    text = bar.text()
    assert text.startswith("epoch ") and text.endswith(" / 200000"), text
    assert bar.fontMetrics().horizontalAdvance(text) <= bar.width() - 8
    # The loss and the time left are on the line below, not cut off in the bar.
    assert panel.progress_detail.text().startswith("loss ")
    assert panel.progress_detail.wordWrap()
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        window.training_panel.train_actions.stop.trigger()
    assert not scroll.horizontalScrollBar().isVisible()


# ---- loss and boundary together (defect 8) -------------------------------------------------------


def test_loss_and_boundary_are_side_by_side_while_training(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    settle(qtbot, window, (1366, 768))
    open_example_from_menu(window, "moons_network", epochs=1_000_000)
    d = docks(window)
    loss, boundary = d["lossDock"], d["boundaryDock"]
    # Not tabs of one group: both can be on screen at once.
    assert boundary not in window.tabifiedDockWidgets(loss)
    assert loss in window.tabifiedDockWidgets(d["stepperDock"])  # curves under the canvas
    press_start(window, qtbot)
    panel = window.training_panel
    qtbot.waitUntil(lambda: shown(loss) and shown(boundary) and shown(panel.loss_plot.area)
                    and shown(panel.boundary_plot.area), timeout=TIMEOUT)
    assert loss.geometry().right() < boundary.geometry().left()  # side by side
    assert abs(loss.geometry().top() - boundary.geometry().top()) < 4
    # The boundary's column is wide enough for its tabs (nothing elided) and a picture.
    qtbot.waitUntil(lambda: boundary.width() >= 220, timeout=TIMEOUT)
    assert panel.boundary_plot.area.height() >= 140 and shown(loss)
    qtbot.waitUntil(lambda: panel.boundary_plot.values is not None, timeout=TIMEOUT)
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.train_actions.stop.trigger()
    # Reset Panel Layout brings the same arrangement back.
    window.addDockWidget(Qt.LeftDockWidgetArea, boundary)
    window.action_reset_layout.trigger()
    assert boundary not in window.tabifiedDockWidgets(loss)
    assert d["fitDock"] in window.tabifiedDockWidgets(boundary)
    assert window.dockWidgetArea(boundary) == Qt.BottomDockWidgetArea


def visible_tab_bars(window: Any) -> list[Any]:
    # Qt keeps the bar of a group whose docks are all hidden, empty and placed outside the
    # window (at negative coordinates): nothing a user can see.
    return [bar for bar in window.findChildren(QTabBar)
            if bar.parent() is window and bar.isVisible()
            and (bar.count() or window.rect().intersects(bar.geometry()))]


def test_dock_tabs_are_not_elided_and_no_ghost_tab_bar_shows(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    settle(qtbot, window, (1366, 768))
    groups = {frozenset(d.windowTitle() for d in [dock, *window.tabifiedDockWidgets(dock)])
              for dock in window.panels if window.tabifiedDockWidgets(dock)}
    # Qt leaves the bar of a group that grew before the window showed (its first two tabs)
    # behind the docks: only the bars of the groups there are now may show.
    qtbot.waitUntil(lambda: all(
        frozenset(bar.tabText(k) for k in range(bar.count())) in groups
        for bar in visible_tab_bars(window)), timeout=TIMEOUT)
    # Inspector + Trainer and the docks under the canvas; the pictures of the model wait
    # hidden while the graph has no data set and no activation.
    assert len(visible_tab_bars(window)) == len(groups) == 2
    for bar in visible_tab_bars(window):
        for k in range(bar.count()):
            needed = bar.fontMetrics().horizontalAdvance(bar.tabText(k))
            assert needed <= bar.tabRect(k).width(), bar.tabText(k)


# ---- legends and axes (defect 8) -----------------------------------------------------------------


def covered_share(legend: Any, view_box: Any) -> float:
    """How much of the view box (the data area) the legend's rectangle covers."""
    box = view_box.sceneBoundingRect()
    overlap = legend.sceneBoundingRect().intersected(box)
    if overlap.isEmpty():
        return 0.0
    return overlap.width() * overlap.height() / (box.width() * box.height())


def tick_text_rects(axis: Any) -> list[QRectF]:
    """Where the axis writes its tick labels (its own coordinates)."""
    image = QImage(max(1, int(axis.width())), max(1, int(axis.height())),
                   QImage.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [rect for rect, _flags, _text in specs[2]]


def title_rect(axis: Any) -> QRectF:
    """The axis title's rectangle in the axis's coordinates (rotated for a left axis)."""
    label = axis.label
    rect = label.mapRectToParent(label.boundingRect())
    # The text item's box has a 4 px document margin around the glyphs.
    return rect.adjusted(3, 3, -3, -3)


def title_overlaps(plots: Any) -> list[tuple[str, str]]:
    """(side, title) of every axis whose title touches one of its tick labels."""
    found = []
    for plot in plots:
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            if not axis.label.isVisible():
                continue
            title = title_rect(axis)
            if any(title.intersects(rect) for rect in tick_text_rects(axis)):
                found.append((side, axis.labelText))
    return found


def test_legends_stay_out_of_the_data_and_titles_clear_the_ticks(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    settle(qtbot, window, (1366, 768))
    # 20 parameters: the legend that covered 40 % of the gradient-norm plot.
    open_example_from_menu(window, "vanishing_gradients", epochs=60)
    panel = window.training_panel
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        press_start(window, qtbot)
    click_tab(window, qtbot, "Gradient Norms")
    grad = panel.grad_plot
    qtbot.waitUntil(lambda: shown(grad.area), timeout=TIMEOUT)
    assert len(grad.legend.items) == 20
    QGuiApplication.processEvents()
    assert covered_share(grad.legend, grad.plot.getViewBox()) <= 0.02
    # The legend is compact: at most a quarter of the plot's height.
    assert grad.legend.sceneBoundingRect().height() <= 0.25 * grad.area.height()
    # An axis widens for its tick labels when it paints them, so a range that grew since the
    # last paint is laid out one frame later: wait for that frame, then no title may touch.
    qtbot.waitUntil(lambda: not title_overlaps([grad.plot]), timeout=TIMEOUT)
    click_tab(window, qtbot, "Loss")
    loss = panel.loss_plot
    qtbot.waitUntil(lambda: shown(loss.area), timeout=TIMEOUT)
    for view in (loss.loss_plot, loss.acc_plot):
        assert covered_share(loss.legend, view.getViewBox()) <= 0.02
    qtbot.waitUntil(lambda: not title_overlaps([loss.loss_plot, loss.acc_plot]),
                    timeout=TIMEOUT)


def test_a_regression_gets_no_accuracy_plot(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    settle(qtbot, window, (1366, 768))
    open_example_from_menu(window, "sin_regression", epochs=30)
    panel = window.training_panel
    assert not panel.loss_plot.accuracy_shown  # already in the preview
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        press_start(window, qtbot)
    loss = panel.loss_plot
    assert not loss.accuracy_shown and loss.acc_plot.scene() is None
    assert loss.loss_plot.getAxis("bottom").labelText == "epoch"
    assert len(loss.train_curve.xData) == 30
    # The fit is shown beside the loss, where the boundary is for a classifier.
    assert shown(docks(window)["fitDock"]) and shown(docks(window)["lossDock"])
    # A classifier has one.
    open_example_from_menu(window, "moons_network", epochs=5)
    assert loss.accuracy_shown and loss.acc_plot.scene() is not None


# ---- the timeline's row, readable plots (review 12) ------------------------------------------


def overlapping_ticks(axis: Any) -> list[tuple[QRectF, QRectF]]:
    """Pairs of the axis's tick labels that touch each other."""
    rects = tick_text_rects(axis)
    return [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if a.intersects(b)]


def label_fits(label: QLabel) -> bool:
    return label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()


def click_boundary_point(window: Any, qtbot: Any, k: int) -> None:
    """Hover over, then click, training point ``k`` of the boundary plot."""
    plot = window.training_panel.boundary_plot
    x, y = (c[k] for c in plot.train_points.getData())
    at = plot.area.mapFromScene(plot.plot.vb.mapViewToScene(QPointF(float(x), float(y))))
    QTest.mouseMove(plot.area.viewport(), at)
    QTest.mouseClick(plot.area.viewport(), Qt.LeftButton, Qt.NoModifier, at)


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_timeline_has_its_own_row_and_the_loss_plots_are_readable(
        make_window: Any, qtbot: Any, size: tuple[int, int]) -> None:
    window = make_window()
    settle(qtbot, window, size)
    open_example_from_menu(window, "moons_network", epochs=10_000)
    panel = window.training_panel
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        press_start(window, qtbot)
    # The Trainer's result line is in view, not cut off at the dock's bottom edge.
    click_tab(window, qtbot, "Trainer")
    scroll = docks(window)["trainerDock"].widget()
    status = panel.status
    qtbot.waitUntil(lambda: shown(status), timeout=TIMEOUT)
    assert status.text().startswith("Trained 10000 epochs")
    qtbot.waitUntil(lambda: scroll.viewport().rect().contains(
        QRect(status.mapTo(scroll.viewport(), status.rect().topLeft()), status.size())),
        timeout=TIMEOUT)
    loss, bar = panel.loss_plot, panel.timeline_bar
    qtbot.waitUntil(lambda: shown(loss.area) and loss.side_by_side, timeout=TIMEOUT)
    # Loss and accuracy side by side in the low, wide dock: each tall enough to read, its
    # tick labels clear of each other (stacked, each was ~60 px and they overlapped).
    boxes = [p.getViewBox().sceneBoundingRect() for p in (loss.loss_plot, loss.acc_plot)]
    assert boxes[0].right() < boxes[1].left() and abs(boxes[0].top() - boxes[1].top()) < 2
    for box in boxes:
        assert box.height() >= 80, box
    for plot in (loss.loss_plot, loss.acc_plot):
        qtbot.waitUntil(lambda p=plot: not overlapping_ticks(p.getAxis("left")),
                        timeout=TIMEOUT)
    # Captions whole (the header has room now the timeline is under the plots).
    for plot in (loss, panel.boundary_plot):
        assert plot.caption.text() == plot.caption.full_text, plot.caption.text()
    # The timeline: a row of its own under the plots, the dock's width, the slider most of it.
    area = loss.area.geometry()
    assert bar.geometry().top() >= area.bottom() and bar.width() >= loss.width() - 2
    assert bar.slider.width() >= 0.4 * loss.width()
    # Its label never clips: at the end, scrubbed, restored, and after another edit.
    assert label_fits(bar.label) and "(the end)" in bar.label.text()
    for index in (bar.timeline.epochs.index(100), bar.slider.maximum() - 1):
        bar.slider.setValue(index)
        qtbot.waitUntil(lambda: window.view_state.live, timeout=TIMEOUT)
        assert label_fits(bar.label), bar.label.text()
    QTest.mouseClick(bar.restore_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: bar.label.text().endswith("(restored)"), timeout=TIMEOUT)
    assert label_fits(bar.label), bar.label.text()
    panel.train_actions.reset.trigger()
    qtbot.waitUntil(lambda: bar.label.text() == "parameters edited since the run",
                    timeout=TIMEOUT)
    assert label_fits(bar.label)
    # A click on a point of the boundary plot shows no pyqtgraph "A" (auto-range) button.
    click_boundary_point(window, qtbot, 17)
    qtbot.waitUntil(lambda: window.view_state.sample is not None, timeout=TIMEOUT)
    assert not panel.boundary_plot.plot.autoBtn.isVisible()
    window.document.set_clean()


def test_a_restored_layout_shows_no_empty_pictures_over_an_empty_graph(
        make_window: Any, qtbot: Any) -> None:
    first = make_window()
    settle(qtbot, first, (1366, 768))
    open_example_from_menu(first, "moons_network")
    qtbot.waitUntil(lambda: shown(docks(first)["boundaryDock"]), timeout=TIMEOUT)
    first.document.set_clean()
    first.close()  # saves the layout, the pictures' column shown
    window = make_window()  # the next session, on an empty graph
    settle(qtbot, window, (1366, 768))
    d = docks(window)
    qtbot.waitUntil(lambda: all(d[name].isHidden()
                                for name in ("boundaryDock", "fitDock", "activationDock")),
                    timeout=TIMEOUT)
    assert not elided_tabs(window)
    # A graph to picture brings them back, wide enough for their tabs (once laid out).
    open_example_from_menu(window, "moons_network")
    qtbot.waitUntil(lambda: shown(d["boundaryDock"]), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not elided_tabs(window), timeout=TIMEOUT)
    assert d["boundaryDock"].width() >= 220


def elided_tabs(window: Any) -> list[str]:
    return [bar.tabText(k) for bar in visible_tab_bars(window) for k in range(bar.count())
            if bar.fontMetrics().horizontalAdvance(bar.tabText(k)) > bar.tabRect(k).width()]


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_the_pictures_column_is_readable_and_the_stepper_scrolls_only_when_short_of_room(
        make_window: Any, qtbot: Any, size: tuple[int, int]) -> None:
    """Docks tabbed together share the widest page's minimum: the stepper's 616 px once
    left the Boundary 146 px at 1280 x 720 ("epoc…"). Now its caption reads whole; at
    1366 x 768 the stepper still has its width, and at 1280 it scrolls sideways."""
    from graphgui.gui.panels.training.panel import PICTURE_FLOOR

    window = make_window()
    settle(qtbot, window, size)
    open_example_from_menu(window, "moons_network", epochs=200)
    d = docks(window)
    boundary, stepper = d["boundaryDock"], d["stepperDock"]
    panel = window.training_panel
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        press_start(window, qtbot)
    qtbot.waitUntil(lambda: boundary.width() >= PICTURE_FLOOR, timeout=TIMEOUT)
    caption = panel.boundary_plot.caption
    qtbot.waitUntil(lambda: caption.text() == "epoch 200", timeout=TIMEOUT)
    assert caption.fontMetrics().horizontalAdvance("epoch 200") <= caption.width()
    click_tab(window, qtbot, "Stepper")
    qtbot.waitUntil(lambda: shown(stepper), timeout=TIMEOUT)
    area = stepper.widget()
    page_needs = area.widget().minimumSizeHint().width()
    scrolls = area.horizontalScrollBar().maximum() > 0
    if size == (1366, 768):
        assert area.viewport().width() >= page_needs and not scrolls
    else:
        assert scrolls  # short of room: the page scrolls, it is not cut
    # Never cut at the bottom: the page has its whole height.
    assert area.widget().height() >= area.widget().minimumSizeHint().height()


def test_start_keeps_a_pictures_column_the_user_widened(make_window: Any, qtbot: Any) -> None:
    """Start sizes the pictures' column only where it must: a column the user widened
    stays, and one that leaves the stepper's tabs less than their pages need gives back
    just that much."""
    window = make_window()
    settle(qtbot, window, (1600, 1000))
    open_example_from_menu(window, "moons_network", epochs=100)
    for _ in range(5):  # the pictures' column as the example wants it first
        QGuiApplication.processEvents()
    d = docks(window)
    front, boundary = d["stepperDock"], d["boundaryDock"]  # the tab in front, the column
    total = front.width() + boundary.width()
    need = front.widget().widget().minimumSizeHint().width()  # the stepper's page: 616
    panel = window.training_panel
    for widened, expected in ((total - need - 20, total - need - 20), (total - need + 80,
                                                                      total - need)):
        window.resizeDocks([front, boundary], [total - widened, widened], Qt.Horizontal)
        qtbot.waitUntil(lambda w=widened: abs(boundary.width() - w) <= 4, timeout=TIMEOUT)
        with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
            press_start(window, qtbot)
        for _ in range(5):
            QGuiApplication.processEvents()
        assert abs(boundary.width() - expected) <= 4, (widened, boundary.width(), expected)
        click_tab(window, qtbot, "Stepper")


GHOST_SCRIPT = """
import json, os, sys, time
from PySide6.QtWidgets import QTabBar
from graphgui.gui.application import application
from graphgui.gui.main_window import MainWindow
app = application([])
window = MainWindow()  # restores the layout the last run saved
window.resize(int(sys.argv[2]), int(sys.argv[3]))
window.show()
for _ in range(5):
    app.processEvents()
window.file_controller.open_example("moons_network")
if sys.argv[1] == "save":  # a first run: its layout is saved as it closes
    window.document.set_clean()
    window.close()
    sys.exit(0)
window.document.set_setting("training", {**window.document.settings["training"], "epochs": 50})
window.training_panel.start_button.click()
deadline = time.monotonic() + 60
while window.training_panel.state != "idle" and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.005)
window.health.action.trigger()
for _ in range(40):
    app.processEvents()
    time.sleep(0.005)
bars = [[bar.geometry().getRect(), [bar.tabText(k) for k in range(bar.count())]]
        for bar in window.findChildren(QTabBar) if bar.parent() is window and bar.isVisible()]
print(json.dumps({"bars": bars, "status": window.statusBar().geometry().getRect()}))
window.document.set_clean()
os._exit(0)
"""


def test_no_second_tab_bar_of_a_group_shows_over_the_status_bar(tmp_path: Any) -> None:
    """At 1280 x 720, after a run and the Health dock, Qt left the bottom group's earlier
    bar (its tabs in the order before the Health add-on tabbed them again) over the status
    bar: a second row of the same titles. The app's own start, in processes of their own
    (the application's style and fonts decide where the bars fall): a first run saves its
    layout at 1600 x 1000, the next restores it into a window of 1280 x 720."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GRAPHGUI_DATA_DIR": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    for args in (["save", "1600", "1000"], ["check", "1280", "720"]):
        done = subprocess.run([sys.executable, "-c", GHOST_SCRIPT, *args],
                              capture_output=True, text=True, timeout=120, env=env, check=True)
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    titles = [frozenset(names) for _, names in shown["bars"] if names]
    assert len(titles) == len(set(titles)) == 3, shown
    status_top = shown["status"][1]
    for (_, top, _, height), names in shown["bars"]:
        assert not names or top + height <= status_top, (names, shown["status"])
