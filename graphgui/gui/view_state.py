"""The one evaluation every view reads, and what the views may show of it.

Canvas, inspector, stepper, plots and status bar all read numbers from here, never from an
evaluation of their own, and all honour the same visibility:

- ``grads_hidden``: gradients are hidden for one or more reasons (``"view"``: View > Show
  Gradients is off; ``"exercise"``: an exercise was opened; ``"quiz"``: quiz mode). Hidden
  means hidden everywhere until every reason is lifted.
- ``step``: while the stepper is away from its start, only what the steps taken so far
  computed is shown (values so far, gradients so far), in the inspector as on the canvas.
- ``stale``: why the numbers shown are not the graph's current ones ("" when they are), e.g.
  values arriving live from a training run.
- ``tangents()``: forward mode's d(node)/d(seed) (``set_tangent_seed``, ``set_show_tangents``),
  recomputed from the one evaluation's values. Tangents are not gradients: hiding gradients
  does not hide them; a stepper picture does (it shows only what its steps computed), and a
  forward-mode step picture shows the tangents of the nodes stepped so far.
- ``highlight``: nodes and wires drawn in the highlight colour and the nodes marked as
  fan-outs (the Paths dock's path; ``highlight_changed``, not ``changed``: no number moved).

Edits flow one way: a view that wants to change what is shown calls a setter here; every view
then hears ``changed`` and redraws from this state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from graphgui.core.autodiff.tangents import Seed, TangentError
from graphgui.core.engine import Evaluation
from graphgui.core.graph import Graph
from graphgui.core.train.sample import Sample

from .canvas.state import NO_HIGHLIGHT, NO_TANGENTS, Highlight, StepOverlay, Tangents
from .evaluation import Evaluator
from .tangent_state import SeedChoice, TangentState

VIEW, EXERCISE, QUIZ = "view", "exercise", "quiz"  # reasons for hiding gradients


class ViewState(QObject):
    """Shared by every view of one window; replaced content, never replaced itself."""

    evaluated = Signal(object)  # a new Evaluation of the graph (after an edit)
    changed = Signal()  # the evaluation or anything views show of it changed
    highlight_changed = Signal()  # ``highlight`` changed (the canvas redraws)
    tangents_cleared = Signal(str)  # the seed was dropped by an edit (why, in one line)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.evaluator = Evaluator(parent=self)
        self.evaluator.evaluated.connect(self._on_evaluated)
        self.step: StepOverlay | None = None
        self.stale = ""
        self.show_values = True
        self._hidden: set[str] = set()
        self._live: Evaluation | None = None  # numbers from elsewhere (a training run)
        self.sample: Sample | None = None  # one sample of the batch shown (show_sample)
        self.exercise_notice = ""  # what the exercise asks of the student, while it is open
        self.highlight: Highlight = NO_HIGHLIGHT
        self._tangents = TangentState()

    # ---- the evaluation ------------------------------------------------------------------

    def set_graph(self, graph: Graph | None) -> None:
        """Follow another graph: drops the step picture, live numbers, the exercise (whoever
        opens an exercise hides the gradients again after this) and the tangents' seed;
        Show Tangents stays as it is, a view toggle (the Forward Mode dock picks a seed of
        the new graph)."""
        self.step = None
        self._live = None
        self.sample = None
        self.stale = ""
        self._hidden.discard(EXERCISE)
        self.exercise_notice = ""
        self.set_highlight()
        self._tangents.clear(keep_shown=True)
        self.evaluator.set_graph(graph)
        self.evaluator.evaluate_now()

    @property
    def evaluation(self) -> Evaluation | None:
        """What views show: live numbers while a run sends them, else the graph's own."""
        return self._live if self._live is not None else self.evaluator.evaluation

    @property
    def live(self) -> bool:
        """True while numbers that are not the graph's own are shown (``show_live``)."""
        return self._live is not None

    @property
    def graph_evaluation(self) -> Evaluation | None:
        """The graph's own evaluation (never the live numbers of a run)."""
        return self.evaluator.evaluation

    def evaluate_now(self) -> Evaluation | None:
        return self.evaluator.evaluate_now()

    def _on_evaluated(self, ev: Evaluation | None) -> None:
        if self.sample is not None:  # an edit: the sample is taken again from the new graph
            self._retake_sample()
        dropped = self._tangents.follow(self.evaluator.graph)  # the seed deleted or reshaped
        self.evaluated.emit(ev)
        self.changed.emit()
        if dropped:
            self.tangents_cleared.emit(dropped)

    def show_live(self, evaluation: Evaluation | None, stale: str = "") -> None:
        """Show numbers that are not the graph's own (None: back to the graph's)."""
        self._live = evaluation
        self.sample = None  # a run's numbers replace a sample's
        self.stale = stale if evaluation is not None else ""
        self.changed.emit()

    def show_sample(self, sample: Sample | None) -> None:
        """Show one sample of the batch (its own forward values and gradients) instead of
        the batch; None: the batch again. The stepper steps the sample's graph."""
        self.sample = sample
        self._live = sample.evaluation if sample is not None else None
        at = (f" at epoch {sample.epoch} of the run" if sample is not None
              and sample.epoch is not None else "")  # a timeline's moment
        self.stale = (f"sample {sample.index} of {sample.count}{at} (the batch's gradient "
                      "is the mean of the samples')" if sample is not None else "")
        self.changed.emit()

    def _retake_sample(self) -> None:
        from graphgui.core.train.sample import SampleError, sample_evaluation

        old = self.sample
        graph = self.evaluator.graph
        try:
            self.sample = (sample_evaluation(graph, old.index, old.inputs, axis=old.axis,
                                             parameters=old.parameters, epoch=old.epoch)
                           if graph is not None else None)
        except (SampleError, ValueError):
            self.sample = None
        self._live = self.sample.evaluation if self.sample is not None else None
        if self.sample is None:
            self.stale = ""

    # ---- what is shown -------------------------------------------------------------------

    @property
    def grads_hidden(self) -> bool:
        return bool(self._hidden)

    def hidden_reasons(self) -> frozenset[str]:
        return frozenset(self._hidden)

    def set_grads_hidden(self, reason: str, hidden: bool) -> None:
        was = set(self._hidden)
        if hidden:
            self._hidden.add(reason)
        else:
            self._hidden.discard(reason)
        if was != self._hidden:
            self.changed.emit()

    def reveal_grads(self, *reasons: str) -> None:
        """Lift the given reasons (all but quiz mode when none are given)."""
        self.set_hidden(self._hidden - set(reasons or (VIEW, EXERCISE)))

    def set_hidden(self, reasons: set[str] | frozenset[str]) -> None:
        if set(reasons) != self._hidden:
            self._hidden = set(reasons)
            self.changed.emit()

    def hide_for_exercise(self, notice: str) -> None:
        """An exercise is open: gradients stay hidden until the student shows them."""
        self.exercise_notice = notice
        self._hidden.add(EXERCISE)
        self.changed.emit()

    def set_show_values(self, on: bool) -> None:
        if on != self.show_values:
            self.show_values = on
            self.changed.emit()

    def set_step(self, step: StepOverlay | None) -> None:
        """A step picture (None: the whole evaluation again). The last one set is shown:
        the stepper's or forward mode's (``step.owner``)."""
        if step is None and self.step is None:
            return
        self.step = step  # a new picture per position (compared by identity: it holds arrays)
        self.changed.emit()

    def release_step(self, owner: str) -> None:
        """``owner`` is done stepping: drop its picture, if it is the one shown."""
        if self.step is not None and self.step.owner == owner:
            self.set_step(None)

    def set_highlight(self, nodes: Iterable[str] = (), wires: Iterable[tuple[str, str]] = (),
                      marked: Iterable[str] = ()) -> None:
        """Draw ``nodes`` and the ``wires`` (src, dst) in the highlight colour and mark the
        ``marked`` nodes (fan-outs); no arguments: nothing highlighted."""
        highlight = Highlight(frozenset(nodes), frozenset(wires), frozenset(marked))
        if highlight != self.highlight:
            self.highlight = highlight
            self.highlight_changed.emit()

    # ---- reading numbers -----------------------------------------------------------------

    def value(self, node_id: str) -> Any:
        """The value a view may show for ``node_id`` (None: not computed, or not yet)."""
        if self.step is not None:
            return self.step.values.get(node_id)
        ev = self.evaluation
        return ev.values.get(node_id) if ev is not None else None

    def grad(self, node_id: str) -> Any:
        """d(output)/d(node) as far as a view may show it (None when hidden or not yet)."""
        if self._hidden:
            return None
        if self.step is not None:
            return self.step.grads.get(node_id)
        ev = self.evaluation
        return ev.grads.get(node_id) if ev is not None else None

    def wire_grad(self, key: tuple[str, int]) -> Any:
        """What the wire into input ``key[1]`` of ``key[0]`` carries back, as shown."""
        if self._hidden:
            return None
        if self.step is not None:
            return self.step.wire_grads.get(key)
        ev = self.evaluation
        return ev.wire_grads.get(key) if ev is not None else None

    def error(self, node_id: str) -> str | None:
        ev = self.evaluation
        if ev is None:
            return None
        if node_id in ev.errors:
            return ev.errors[node_id]
        if ev.nonfinite is not None and ev.nonfinite[0] == node_id:
            return ev.nonfinite[1]
        return None

    @property
    def output(self) -> str | None:
        ev = self.evaluation
        return ev.output if ev is not None else None

    # ---- forward mode --------------------------------------------------------------------

    @property
    def tangent_seed(self) -> Seed | None:
        """The input the tangents follow (None: none chosen)."""
        return self._tangents.seed

    @property
    def show_tangents(self) -> bool:
        """Show Tangents is on (the canvas shows them once there is a seed)."""
        return self._tangents.shown

    def set_tangent_seed(self, choice: SeedChoice | None) -> Seed | None:
        """Follow ``choice`` (None: no seed). Raises core's TangentError, changing nothing,
        when it cannot be followed (not a source, no such element, a wrong direction)."""
        graph = self.evaluator.graph
        if choice is not None and graph is None:
            raise TangentError("there is no graph")
        state = self._tangents
        seed = state.seed
        if graph is None:
            state.clear()
        else:
            state.choose(graph, choice)
        if state.seed is not seed:
            self.changed.emit()
        return state.seed

    def set_show_tangents(self, on: bool) -> None:
        """Write every node's tangent on its wires (needs a seed to show anything)."""
        if on != self._tangents.shown:
            self._tangents.shown = on
            self.changed.emit()

    def tangents(self) -> Tangents:
        """d(node)/d(seed) as views may show them now: a forward-mode step picture's tangents
        so far; none under the stepper's picture; else every node's, while shown."""
        if self.step is not None:
            return self.step.tangents or NO_TANGENTS
        seed = self._tangents.seed
        if seed is None or not self._tangents.shown:
            return NO_TANGENTS
        return Tangents(seed.label, self.all_tangents())

    def all_tangents(self) -> Mapping[str, Any]:
        """Every evaluated node's tangent for the seed, shown or not (empty without one)."""
        return self._tangents.tangents(self.evaluation, self.evaluator.program)

    def tangent(self, node_id: str) -> Any:
        """d(node)/d(seed) as a view may show it (None: not shown, or not yet)."""
        return self.tangents().get(node_id)
