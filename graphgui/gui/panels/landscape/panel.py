"""The Landscape dock: pick a plane (or one parameter, for a curve), Compute (in a worker,
with progress and Cancel), see the loss as a heat map with contours and the optimizers racing
over it, and each race's loss per step.

The result belongs to the graph and settings it was computed from: after an edit, another
training setting or trained parameters, it stays on screen dimmed, its caption saying it is
out of date, until the next Compute (an undo back to the same graph makes it current again).
Another document clears it.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.graph import Graph
from graphgui.core.landscape import Landscape, LandscapeRequest

from ...theme import notice_html
from .controls import NO_PARAMETER, LandscapeControls
from .runner import CANCELLED, LandscapeJob, LandscapeRunner
from .texts import names_text
from .view import EMPTY_NOTE, LandscapePlot

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from ...document import Document
    from ...shell import Shell

POLL_MS = 100  # the progress bar reads the worker process's count this often
PREPARE_MS = 15  # while it computes, one plot item is made this often (a few ms each)
RACE_MS = 33  # one frame of the race
RACE_AFTER_MS = 8  # the race is drawn this long after the surface
RACE_FRAMES = 90  # a race of any length takes about this many frames (3 s)
REFRESH_MS = 150  # after a burst of edits, the pickers and the out-of-date check
STALE_NOTE = "out of date: the graph or its training settings changed; Compute again"


class LandscapePanel(QWidget):
    """The dock's contents."""

    computed = Signal()  # a landscape or a one-line message is shown

    def __init__(self, shell: Shell) -> None:
        super().__init__()
        self.setObjectName("landscapePanel")
        self.shell = shell
        self.dock: QDockWidget | None = None
        self.document: Document | None = None
        self.landscape: Landscape | None = None
        self.message = ""
        self._asked = 0  # the key of the latest job (older answers are dropped)
        self._fingerprint: str | None = None  # of the graph and settings computed from
        self._race_pending = False  # the surface is drawn, the trajectories are next
        self._request: LandscapeRequest | None = None  # computing: items to make meanwhile
        self.runner = LandscapeRunner(self)
        self.runner.done.connect(self._on_done)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._show_progress)
        self._prepare = QTimer(self)
        self._prepare.setInterval(PREPARE_MS)
        self._prepare.timeout.connect(self._prepare_items)
        self.race_timer = QTimer(self)
        self.race_timer.setInterval(RACE_MS)
        self.race_timer.timeout.connect(self._race_frame)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._after_edits)
        self._build()
        shell.document_changed.connect(self.set_document)
        self.set_document(shell.document)

    def _build(self) -> None:
        self.controls = LandscapeControls()
        self.controls.edited.connect(self._update_buttons)
        self.compute_button = QPushButton("Compute")
        self.compute_button.setObjectName("landscapeCompute")
        self.compute_button.setToolTip("Compute the loss over the plane and race the optimizers "
                                       "(in the background)")
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("landscapeCancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("landscapeProgress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("ready")
        self.progress.setTextVisible(True)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.compute_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        self.view = LandscapePlot()
        self.view.setObjectName("landscapeView")
        self.replay_button = QPushButton("Replay")
        self.replay_button.setObjectName("landscapeReplay")
        self.replay_button.setToolTip("Race the optimizers again from the start")
        self.replay_button.clicked.connect(self.replay)
        self.step_label = QLabel("")
        self.step_label.setObjectName("landscapeStep")
        race = QHBoxLayout()
        race.addWidget(self.replay_button)
        race.addWidget(self.step_label, 1)
        self.note = QLabel("")
        self.note.setObjectName("landscapeNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.RichText)
        self.note.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Minimum)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.setSpacing(4)
        box.addWidget(self.controls)
        box.addLayout(buttons)
        box.addWidget(self.note)
        box.addWidget(self.view, 1)  # the picture takes every pixel the settings leave
        box.addLayout(race)
        self._update_buttons()

    def attach_dock(self, dock: QDockWidget) -> None:
        self.dock = dock

    # ---- following the document ----------------------------------------------------------

    @property
    def graph(self) -> Graph | None:
        return self.document.graph if self.document is not None else None

    def set_document(self, document: Document) -> None:
        """Another document: nothing of the last one stays (the result, a running job)."""
        if document is self.document:
            return
        old = self.document
        if old is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                old.settings_changed.disconnect(self._on_settings_changed)
            old.graph.changed.unsubscribe(self._on_graph_changed)
        self.document = document
        document.settings_changed.connect(self._on_settings_changed)
        document.graph.changed.subscribe(self._on_graph_changed)
        self._asked += 1
        self.runner.cancel()
        self._poll.stop()
        self.race_timer.stop()
        self.landscape, self._fingerprint = None, None
        self._race_pending = False
        self.view.reset()
        self.progress.setValue(0)
        self.progress.setFormat("ready")
        self.step_label.setText("")
        self._say("")
        self.controls.fill(document.graph, fresh=True)
        self.controls.set_training(self._training())
        self._say_if_no_parameter()
        self._update_buttons()

    def _on_graph_changed(self, *_: object) -> None:
        if not self._refresh.isActive():
            self._refresh.start()

    def _on_settings_changed(self, key: str) -> None:
        if key == "training":
            self.controls.set_training(self._training())
            self._refresh.start()

    def _after_edits(self) -> None:
        graph = self.graph
        if graph is None:
            return
        had = self.controls.has_parameters
        self.controls.fill(graph)
        if had != self.controls.has_parameters:
            self._say("")
            self._say_if_no_parameter()
        self._check_stale()
        self._update_buttons()

    def _say_if_no_parameter(self) -> None:
        none = not self.controls.has_parameters
        self.view.set_empty_note("" if none else EMPTY_NOTE)
        if none and self.graph is not None and len(self.graph):
            self._say(NO_PARAMETER, "info")

    def _check_stale(self) -> None:
        if self.landscape is None:
            return
        stale = self._fingerprint != fingerprint(self.graph, self._training())
        self.view.set_stale(STALE_NOTE if stale else "")

    @property
    def stale(self) -> bool:
        return bool(self.view.stale)

    def _training(self) -> dict[str, Any] | None:
        settings = self.document.settings if self.document is not None else {}
        training = (settings or {}).get("training")
        return dict(training) if isinstance(training, dict) else training

    # ---- computing -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Computing, or the result not drawn whole yet."""
        return self._poll.isActive() or self._race_pending

    def compute(self) -> bool:
        """Start computing with the controls' settings; False (and a message) if they make
        no request."""
        graph = self.graph
        if graph is None:
            return False
        request = self.controls.request()
        if isinstance(request, str):
            self._say(request, "error")
            return False
        self._asked += 1
        training = self._training()
        copy = graph.subgraph(n.id for n in graph)  # the worker never sees later edits
        self._pending_fingerprint = fingerprint(graph, training)
        self.race_timer.stop()
        self.runner.submit(LandscapeJob(copy, training, request, key=self._asked))
        self._request: LandscapeRequest | None = request
        self.progress.setValue(0)
        self.progress.setFormat("computing… %p%")
        self._say("")
        self._poll.start()
        self._prepare.start()
        self._update_buttons()
        return True

    def cancel(self) -> None:
        """Stop the running computation (what was shown before stays)."""
        if not self.busy:
            return
        self._asked += 1
        self.runner.cancel()
        self._poll.stop()
        self.progress.setValue(0)
        self.progress.setFormat("cancelled")
        self._say("Cancelled: nothing new was computed.", "info")
        self._update_buttons()

    def _show_progress(self) -> None:
        done, total = self.runner.progress()
        self.progress.setValue(int(100 * done / max(total, 1)))

    def _prepare_items(self) -> None:
        """One more of the items the answer will need, made while the worker computes: then
        drawing it creates none (16 items took 30-60 ms of the GUI thread at once)."""
        request = self._request
        if (request is None or not self._poll.isActive()
                or not self.view.prepare(request.optimizers, request.dims)):
            self._prepare.stop()

    def _on_done(self, key: object, answer: Landscape | str) -> None:
        if key != self._asked:
            return  # about a graph, a request or a document no longer asked for
        self._poll.stop()
        if answer == CANCELLED:
            return
        if isinstance(answer, str):
            self.progress.setValue(0)
            self.progress.setFormat("failed")
            self._say(answer, "error")
        else:
            self.progress.setValue(100)
            self.progress.setFormat("done")
            self._show(answer)
            return  # computed is emitted once the race is drawn too
        self._update_buttons()
        self.computed.emit()

    def _show(self, landscape: Landscape) -> None:
        self.landscape = landscape
        self._fingerprint = self._pending_fingerprint
        self.view.show_surface(landscape)
        if landscape.request.auto_span:
            self.controls.show_span(landscape.span)
        self.view.set_stale("")
        self._check_stale()  # an edit made while it was computed
        # The trajectories a few milliseconds later: the surface is painted first, and
        # the timers and input waiting meanwhile run between the two (a zero timer ran
        # before them, one stall of both parts and the paint).
        self._race_pending = True
        QTimer.singleShot(RACE_AFTER_MS, self, lambda: self._show_race(landscape))

    def _show_race(self, landscape: Landscape) -> None:
        if landscape is not self.landscape:
            return  # another result or document came first
        self.view.show_trajectories(steps=0)
        # The notes and the race's first frame in another turn: each part and its paint
        # hold the event loop for less time.
        QTimer.singleShot(RACE_AFTER_MS, self, lambda: self._start_race(landscape))

    def _start_race(self, landscape: Landscape) -> None:
        if landscape is not self.landscape:
            return
        self._race_pending = False
        notes = [f"{name}: {t.note}" for name, t in landscape.trajectories.items() if t.note]
        away = self.view.off_plane()
        if away:
            where = "curve" if landscape.dims == 1 else "square"
            more = ("Auto follows a race until it runs away" if landscape.request.auto_span
                    else "a larger span, or Auto, shows more")
            notes.append(f"{names_text(away)} leave{'s' if len(away) == 1 else ''} the "
                         f"{where} drawn ({more})")
        bad = int((~np.isfinite(landscape.loss)).sum())
        if bad:
            notes.append(f"{bad:,} grid points have a loss that is not finite (left blank)")
        if not math.isfinite(landscape.origin_loss):
            notes.append(f"the loss at the current parameters is {landscape.origin_loss}")
        warn = bad or any(t.note for t in landscape.trajectories.values())
        self._say("; ".join(notes), ("warning" if warn else "info") if notes else "")
        self.replay()
        self._update_buttons()
        self.computed.emit()

    # ---- the race ------------------------------------------------------------------------

    def replay(self) -> None:
        """Race the trajectories from step 0."""
        if self.landscape is None:
            return
        self._race_step = 0
        self.view.reveal(0)
        self._show_step()
        if self.view.total_steps:
            self.race_timer.start()

    def finish_race(self) -> None:
        """Show every step at once."""
        self.race_timer.stop()
        if self.landscape is not None:
            self._race_step = self.view.total_steps
            self.view.reveal(self._race_step)
            self._show_step()

    def _race_frame(self) -> None:
        total = self.view.total_steps
        self._race_step = min(total, self._race_step + max(1, math.ceil(total / RACE_FRAMES)))
        self.view.reveal(self._race_step)
        self._show_step()
        if self._race_step >= total:
            self.race_timer.stop()

    @property
    def racing(self) -> bool:
        return self.race_timer.isActive()

    def _show_step(self) -> None:
        total = self.view.total_steps
        self.step_label.setText(f"step {self._race_step} of {total}" if total else "")

    # ---- small things --------------------------------------------------------------------

    def _update_buttons(self) -> None:
        busy = self.busy
        self.cancel_button.setEnabled(busy)
        self.compute_button.setEnabled(self.graph is not None and len(self.graph) > 0
                                       and self.controls.has_parameters)
        self.replay_button.setEnabled(self.landscape is not None and not busy)

    def _say(self, text: str, kind: str = "") -> None:
        self.message = text
        self.note.setText(notice_html(text, kind) if text and kind else text)
        self.note.setToolTip(text)
        self.note.setVisible(bool(text))

    def close_guard(self) -> bool:
        """Closing the window stops a running computation (nothing to save), as Cancel
        does: if the close is then called off (Cancel at the unsaved-changes prompt), the
        dock says it was cancelled instead of computing on forever."""
        self.cancel()
        self.runner.wait(2.0)
        return True


def fingerprint(graph: Graph | None, training: Any) -> str:
    """A digest of everything a landscape depends on: every node (op, name, parameters,
    value), every wire, the output and the training settings."""
    digest = hashlib.blake2b(digest_size=16)
    if graph is None:
        return ""
    for node in graph:
        digest.update(f"{node.id}|{node.op}|{node.name}|{sorted(node.params.items())!r}|"
                      .encode())
        value = node.value
        if isinstance(value, np.ndarray):
            digest.update(repr(value.shape).encode())
            digest.update(np.ascontiguousarray(value, dtype=float).tobytes())
        else:
            digest.update(repr(value).encode())
    for edge in graph.edges:
        digest.update(f"{edge.src}>{edge.dst}:{edge.port};".encode())
    digest.update(f"out={graph.output}|{training!r}".encode())
    return digest.hexdigest()
