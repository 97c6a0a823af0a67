"""The Health dock: one row per activation layer, a network's layers input to output, with
its histograms drawn in the row (strips.py: activations on the layer's own range, log10
|gradient| on one axis for all), its saturated or dead share and the update-to-data ratio of
the weight feeding it; beside the table, the ratios over training (plots.py).

It reads the view state's numbers over the batch (live while a run sends them, else the
graph's own evaluation) when they change, and the update-to-data log of the current or last
run (:class:`~graphgui.core.train.ratios.UpdateRatioLog`, filled by the training thread,
read here under its lock). Its caption says which moment the numbers are of: before any
run, live at epoch N, after epoch N of a run (the graph's parameters are the run's
result), or edited parameters. Work happens only while the dock is in front: a hidden dock
(a tab behind another) notes that it is out of date and catches up when it is shown again;
live, it redraws with the canvas's frames (~5 Hz at most), never on a timer of its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QSplitter, QTableWidgetItem, QToolButton, QWidget

from graphgui.core.graph import Graph
from graphgui.core.health import (
    HEALTH_OPS,
    ActivationHealth,
    layer_stacks,
    network_health,
    sample_axis_of,
)
from graphgui.core.ops import get_op
from graphgui.core.train.builders import is_weight
from graphgui.core.train.ratios import RatioHistory, UpdateRatioLog

from ..plots.base import PlotPanel, write_png
from .marks import EXPECTED, batch_evaluation, describe
from .moments import Moments
from .plots import OTHER, HealthPlots, layer_colors
from .strips import (
    GRADS,
    LAYER,
    MARK_COLORS,
    SHARE,
    STRIP,
    UPDATE,
    VALUES,
    WARN_SHARE,
    HealthTable,
    grad_span,
    grad_strip,
    layer_text,
    median_decade,
    share_text,
    value_strip,
)

if TYPE_CHECKING:
    from ...shell import Shell

MAX_LAYERS = 16  # layers listed and drawn (a graph of 1,000 scalar sigmoids lists these)
LIVE_ELEMENTS = 20_000  # elements of a layer read per redraw (core samples larger ones)
LIVE_INTERVAL = 0.4  # seconds between two live redraws (the canvas takes ~5 a second)
NO_RUN = "no run yet:\ntrain to record them"
PLOT_SHARE = 0.34  # of the dock's width, the ratio plot's (the table takes the rest)
MIN_PLOT = 180  # px: the narrowest ratio plot


class HealthPanel(PlotPanel):
    """Saturation, dead units, histograms and update-to-data ratios of the graph shown."""

    title = "Network health"

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthPanel")
        self.shell = shell
        self.dock: Any = None
        self.biases_button = QToolButton()
        self.biases_button.setText("Biases")
        self.biases_button.setCheckable(True)
        self.biases_button.setAutoRaise(True)
        self.biases_button.setToolTip("Also draw the biases' update-to-data ratios "
                                      "(Karpathy draws the weights only)")
        self.biases_button.toggled.connect(lambda _: self.refresh_ratios())
        self.controls.addWidget(self.biases_button)
        self.layer_table = HealthTable()
        self.layer_table.itemSelectionChanged.connect(self._on_rows_chosen)
        # The table beside the plots (in place of the area PlotPanel put under its header).
        box = self.layout()
        box.removeWidget(self.area)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.layer_table)
        self.splitter.addWidget(self.area)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self._user_split = False  # the user dragged the handle: their split from then on
        box.addWidget(self.splitter, 1)
        self.health_plots = HealthPlots(self.area)
        self.layers: list[ActivationHealth] = []
        self.colors: list[str] = []  # each layer's (plots.layer_colors)
        self.log: UpdateRatioLog | None = None  # the current or last run's
        self.history: RatioHistory | None = None
        self.weight_of: dict[str, str] = {}  # layer node id -> the weight feeding it
        self.training: Any = None  # the Trainer dock's panel (install sets it), if any
        self.moments = Moments()  # which moment the graph's parameters are of
        self.moment = ""  # the caption's: "before any run", "after epoch 150", ...
        self._dirty = True
        self.shown = False  # the dock in front (dock.visibilityChanged: on_visibility)
        self.refreshes = 0  # redraws so far (the benchmark counts them)
        self._live_at = 0.0  # when a live frame was last drawn
        self._shown_version = -1
        self._timer = QTimer(self)  # coalesces the bursts of view-state changes
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        self.reset()

    # ---- following the window ----------------------------------------------------------

    def set_document(self, *_: Any) -> None:
        """Another document: no run's ratios yet, the new graph's numbers."""
        self.log = None
        self.history = None
        self._shown_version = -1
        doc = self.shell.document
        self.moments.opened(doc.graph if doc is not None else None)
        self.schedule()

    def follow_run(self, log: UpdateRatioLog | None) -> None:
        """A training run started: its ratios from now on (``log`` None: none recorded)."""
        self.log = log
        self.history = None
        self._shown_version = -1
        doc = self.shell.document
        self.moments.run_started(doc.graph if doc is not None else None)
        self.schedule()

    def run_finished(self, parameters: dict[str, Any], epochs: int) -> None:
        """The run ended with ``parameters`` after ``epochs`` epochs (applied to the graph
        unless nothing changed)."""
        self.moments.run_ended(parameters, epochs)
        self.schedule()

    def schedule(self) -> None:
        """The numbers changed: redraw (when shown; a hidden dock only notes it). A run's
        live frame is drawn at once, inside the pause the training thread takes for the
        canvas (and counted in the share of time the runner lets live frames take); edits,
        which come in bursts, once control returns to the event loop."""
        self._dirty = True
        if not self.shown:
            return
        if self.shell.view_state.live:
            now = time.perf_counter()
            if now - self._live_at >= LIVE_INTERVAL:  # at most ~2 redraws a second
                self._live_at = now
                self._timer.stop()
                self.refresh()
        elif not self._timer.isActive():
            self._timer.start()

    def on_visibility(self, visible: bool) -> None:
        """The dock's tab came to the front (or went behind another, or closed)."""
        self.shown = visible
        if visible and self._dirty:
            self.schedule()

    # ---- computing -------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Recompute from the view state and redraw; True when it did."""
        if not self.shown:
            return False
        self._dirty = False
        self.refreshes += 1
        doc = self.shell.document
        graph = doc.graph if doc is not None else None
        vs = self.shell.view_state
        ev = batch_evaluation(self.shell)
        layers: list[ActivationHealth] = []
        first: dict[str, str] = {}  # each layer's stack's first layer
        total = 0
        if graph is not None and ev is not None:
            ids = [n for n in graph.topological_order() if graph.node(n).op in HEALTH_OPS]
            total = len(ids)
            grads = {} if vs.grads_hidden else ev.grads
            stacks = layer_stacks(graph, ids[:MAX_LAYERS])
            layers = network_health(graph, ev.values, grads, sample_axis_of(doc.settings),
                                    [nid for stack in stacks for nid in stack],
                                    max_elements=LIVE_ELEMENTS)
            self.weight_of = _weights_feeding(graph, [h.node_id for h in layers])
            first = {nid: stack[0] for stack in stacks for nid in stack}
        self.layers = layers
        # An output layer takes the colour of its network's hidden layers (the ReLU net's
        # sigmoid output orange, like its weights), every other layer its own kind's.
        self.colors = layer_colors([
            graph.node(first[h.node_id]).op if h.at_output else h.op for h in layers])
        self._read_log(force=True)  # before the table, which shows the latest ratios
        self.moment = self._moment(graph, vs)
        self._fill_table(graph, vs.grads_hidden)
        self.refresh_ratios()
        self._caption(total, vs)
        self._fit_split()
        return True

    def _moment(self, graph: Graph | None, vs: Any) -> str:
        """Which moment the numbers are of (the caption's first words)."""
        if vs.live and getattr(vs, "sample", None) is None:
            run = getattr(self.training, "run", None)
            epoch = getattr(run, "live_epoch", None)
            if run is not None and isinstance(epoch, int):
                return f"at epoch {epoch} (live)"
            part = vs.stale.split(" (")[0] if vs.stale else "live"  # the timeline's epoch
            return f"at {part}" if part.startswith("epoch") else part
        return self.moments.label(graph)

    def _on_splitter_moved(self, *_: Any) -> None:
        self._user_split = True

    def _fit_split(self) -> None:
        """The ratio plot about a third of the dock (never under :data:`MIN_PLOT` px), the
        table the rest; once the user drags the handle, their split stays."""
        total = sum(self.splitter.sizes())
        if self._user_split or total <= 0:
            return
        plot = max(MIN_PLOT, int(total * PLOT_SHARE))
        plot = min(plot, max(0, total - self.layer_table.minimumSizeHint().width()))
        if abs(self.splitter.sizes()[1] - plot) > 2:
            self.splitter.setSizes([total - plot, plot])

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._fit_split()

    def _caption(self, total: int, vs: Any) -> None:
        text = f"{self.title} {self.moment}" if self.moment else self.title
        if self.layers:
            samples = {h.samples for h in self.layers}
            text += f" · {len(self.layers)} layer{'s' if len(self.layers) != 1 else ''}"
            if total > len(self.layers):
                text += f" (the first {len(self.layers)} of {total})"
            if len(samples) == 1:
                m = samples.pop()
                text += f" over {m:,} sample{'s' if m != 1 else ''}"
        if vs.live and getattr(vs, "sample", None) is None:
            text += " · live"
        self.set_caption(text)

    # ---- the table -------------------------------------------------------------------------

    def _fill_table(self, graph: Graph | None, grads_hidden: bool) -> None:
        chosen = self.chosen_rows()
        table = self.layer_table
        table.blockSignals(True)
        table.setRowCount(len(self.layers))
        latest = self.history.latest() if self.history is not None else {}
        span = grad_span(self.layers)
        table.set_span(span)
        for row, h in enumerate(self.layers):
            color = self.colors[row]
            weight = self.weight_of.get(h.node_id)
            ratio = latest.get(graph.node(weight).title) if weight and graph else None
            cells = {LAYER: layer_text(h, get_op(h.op).label), SHARE: share_text(h),
                     UPDATE: _ratio(ratio), VALUES: "", GRADS: ""}
            tip = _tooltip(h, weight and graph.node(weight).title, ratio)
            for col, text in cells.items():
                item = table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignLeft | Qt.AlignVCenter if col == LAYER
                                          else Qt.AlignRight | Qt.AlignVCenter)
                    table.setItem(row, col, item)
                item.setText(text)
                item.setToolTip(tip)
            table.item(row, LAYER).setData(Qt.DecorationRole, QColor(color))
            table.item(row, VALUES).setData(STRIP, value_strip(h, color))
            table.item(row, GRADS).setData(STRIP, grad_strip(h, color, span, grads_hidden))
            warn = h.kind and h.warning >= WARN_SHARE
            table.item(row, SHARE).setForeground(
                QBrush(QColor(MARK_COLORS[h.kind])) if warn
                else QBrush(QColor(EXPECTED)) if h.at_output else QBrush())
        for row in range(table.rowCount()):
            table.item(row, 0).setSelected(row in chosen)  # the same rows stay chosen
        table.blockSignals(False)
        table.resizeColumnToContents(LAYER)
        table.resizeColumnToContents(SHARE)
        table.resizeColumnToContents(UPDATE)
        table.fit()

    def chosen_rows(self) -> set[int]:
        return {index.row() for index in self.layer_table.selectionModel().selectedRows()}

    def _on_rows_chosen(self) -> None:
        self.refresh_ratios(force=True)

    def _shown_layers(self) -> list[int]:
        """The layers whose ratios are drawn: the chosen rows, or every row when none is."""
        chosen = self.chosen_rows()
        return [k for k in range(len(self.layers)) if not chosen or k in chosen]

    # ---- ratios ----------------------------------------------------------------------------

    def _read_log(self, force: bool = False) -> None:
        """The run's ratios so far, read under the log's lock (again only when it grew)."""
        log = self.log
        if log is not None and (force or log.version != self._shown_version):
            self.history = log.snapshot()
            self._shown_version = self.history.version

    def refresh_ratios(self, force: bool = False) -> None:
        """Draw the ratios of the parameters shown (the weights, of the chosen rows)."""
        self._read_log(force)
        doc = self.shell.document
        graph = doc.graph if doc is not None else None
        history = self.history
        names = list(history.ratios) if history is not None else []
        fed = self._layers_fed(graph, names)
        shown_layers = set(self._shown_layers())
        every = len(shown_layers) == len(self.layers)
        shown = [n for n in names if self._wanted(graph, n)
                 and (every or fed.get(n) in shown_layers)]
        colors = {n: self.colors[k] if k is not None else OTHER for n, k in fed.items()}
        note = NO_RUN if self.log is None else "the ratios come\nafter the first epoch"
        self.health_plots.show_ratios(history, shown, colors, note)

    def _wanted(self, graph: Graph | None, name: str) -> bool:
        if self.biases_button.isChecked() or graph is None:
            return True
        node = graph.find(name)
        return node is None or is_weight(graph, node.id)

    def _layers_fed(self, graph: Graph | None, names: Sequence[str]) -> dict[str, int | None]:
        """The listed layer each parameter feeds (a weight and its bias alike: they share its
        colour), None for one feeding none."""
        by_layer = {h.node_id: k for k, h in enumerate(self.layers)}
        fed: dict[str, int | None] = {}
        for name in names:
            node = graph.find(name) if graph is not None else None
            fed[name] = _layer_fed(graph, node.id, by_layer) if node is not None else None
        return fed

    # ---- export ----------------------------------------------------------------------------

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        """(header, columns) for CSV: each layer's bins and shares (values, then log10
        |gradient|), then the epochs and each parameter's ratios."""
        header: list[str] = []
        columns: list[Sequence[Any]] = []
        for h in self.layers:
            header += [f"{h.name} value", f"{h.name} share"]
            columns += [list(h.values.centers), list(h.values.shares())]
            if h.grad_magnitudes is not None:
                header += [f"{h.name} log10|grad|", f"{h.name} grad share"]
                columns += [list(h.grad_magnitudes.centers), list(h.grad_magnitudes.shares())]
        if self.history is not None and len(self.history.epochs):
            header.append("epoch")
            columns.append([int(e) for e in self.history.epochs])
            for name, values in self.history.ratios.items():
                header.append(f"{name} update/data")
                columns.append([float(v) for v in values])
        return header, columns

    def export_png(self, path: str) -> None:
        """The table and the ratio plot as a PNG, written atomically (raises OSError)."""
        self.refresh()
        write_png(self.splitter, path)

    def _epoch_plots(self) -> list[Any]:
        return [self.health_plots.ratio_plot]

    def reset(self) -> None:
        super().reset()
        self.set_document()


def _layer_fed(graph: Graph | None, node_id: str, by_layer: dict[str, int]) -> int | None:
    """The first listed layer a parameter feeds, within four nodes downstream."""
    if graph is None:
        return None
    frontier, seen = [node_id], {node_id}
    for _ in range(4):
        following = []
        for nid in frontier:
            for edge in graph.consumers(nid):
                if edge.dst in by_layer:
                    return by_layer[edge.dst]
                if edge.dst not in seen:
                    seen.add(edge.dst)
                    following.append(edge.dst)
        frontier = following
    return None


def _weights_feeding(graph: Graph, layer_ids: list[str]) -> dict[str, str]:
    """Layer id -> the weight (a parameter a matmul or mul takes) feeding it."""
    by_layer = {nid: k for k, nid in enumerate(layer_ids)}
    out: dict[str, str] = {}
    for node in graph.nodes:
        if node.op == "parameter" and is_weight(graph, node.id):
            k = _layer_fed(graph, node.id, by_layer)
            if k is not None:
                out.setdefault(layer_ids[k], node.id)
    return out


def _ratio(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) or x <= 0 else f"{x:.1e}"


def _tooltip(h: ActivationHealth, weight: str | None, ratio: float | None = None) -> str:
    lines = [f"{h.name} ({h.op}): {h.units} unit{'s' if h.units != 1 else ''} x "
             f"{h.samples} sample{'s' if h.samples != 1 else ''}"
             + (" (read on a sample)" if h.sampled else "")]
    if h.kind:
        lines.append(describe(h.kind, h.op, h.share, h.dead_units, h.units, h.at_output))
    low, high = float(h.values.edges[0]), float(h.values.edges[-1])
    zeros = h.values.zeros / h.values.total if h.values.zeros and h.values.total else 0.0
    lines.append(f"histogram of values over [{low:g}, {high:g}]"
                 + (f"; {100 * zeros:.0f}% exactly 0 (inactive), left out" if zeros else ""))
    lines.append(f"values: mean {h.mean:.4g}, std {h.std:.4g}")
    if h.grad_std is not None:
        lines.append(f"gradient ∂L/∂{h.name}: mean {h.grad_mean:.3g}, std {h.grad_std:.3g}")
        g = h.grad_magnitudes
        median = median_decade(g) if g is not None else None
        if median is not None:
            lines.append(f"median |∂L/∂{h.name}| about {10 ** median:.1g} (the tick)"
                         + (f"; {100 * g.zeros / g.total:.0f}% exactly 0" if g.zeros else ""))
    if weight:
        now = f": {_ratio(ratio)} at the last epoch recorded" if _ratio(ratio) else ""
        lines.append(f"update/data of {weight}, the weight feeding it{now} (about 1e-3 is "
                     "healthy)")
    return "\n".join(lines)
