"""graphgui from Python, for notebooks: ``import graphgui as gg`` (see docs/python-api.md).

::

    g = gg.parse("f = (x + y) * z")      # or gg.load(path), gg.example("neuron")
    r = g.evaluate(x=-2, y=5, z=-4)      # r.value, r.values["add"], r.grads["x"]
    g.check(); g.steps(); g.save(path); g.code("torch")
    g                                    # in Jupyter: the graph as the canvas draws it
    gg.edit(g)                           # the same graph in the editor

A :class:`GraphHandle` holds a core :class:`~graphgui.core.graph.Graph` (``.graph``, not a
copy) and the settings its file stores (``.settings``: training). Only graphgui.core is
imported here; Qt only when a graph is drawn (``svg``, ``_repr_svg_``), never at import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .api_results import BackwardStep, CheckRecord, GradientChecks, Result, Steps
from .core.engine import EvaluationError, Program
from .core.graph import Graph
from .core.labels import node_labels
from .core.messages import did_you_mean, shown
from .core.values import Value, format_value, to_value

_LISTED = 12  # source names an error message lists


class GraphHandle:
    """A computational graph in a notebook: evaluate it, check it, step through it, save it,
    export it as code, draw it, open it in the editor.

    Nodes are called by their labels, as on the canvas: a node's name, else its op
    (``add``, ``mul2``). ``evaluate``, ``check`` and ``steps`` take source values as keyword
    arguments (or one mapping) and leave the stored graph as it is; :meth:`set` stores them.
    """

    def __init__(self, graph: Graph, settings: dict[str, Any] | None = None) -> None:
        if not isinstance(graph, Graph):
            raise TypeError(f"expected a graphgui.core.graph.Graph, got {type(graph).__name__}")
        if settings is not None and not isinstance(settings, dict):
            raise TypeError(f"settings must be a dict or None, got {type(settings).__name__}")
        self.graph = graph
        self.settings = settings

    # ---- what the graph is ---------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.graph.title

    @property
    def output(self) -> str | None:
        """The label of the node differentiated (the graph's output), or None when empty."""
        out = self.graph.output
        return None if out is None else node_labels(self.graph)[out]

    @output.setter
    def output(self, label: str | None) -> None:
        """Differentiate another node from now on (this changes the stored graph)."""
        self.graph.set_output(None if label is None else self._node(label, "output"))

    @property
    def sources(self) -> list[str]:
        """The labels of the inputs, parameters and constants: what ``evaluate`` can set."""
        labels = node_labels(self.graph)
        return [labels[n.id] for n in self.graph if n.is_source]

    # ---- evaluating ----------------------------------------------------------------------

    def evaluate(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> Result:
        """The forward and backward pass with these source values (the stored ones for the
        rest); the graph keeps its own values.

        ``g.evaluate(x=-2, y=5)`` or ``g.evaluate({"x": -2})``: numbers, nested lists or
        arrays. An unknown name, a computed node or a bad value is a one-line ValueError; a
        node that cannot be computed an EvaluationError naming it. A nan or inf also warns
        (RuntimeWarning) and is named in ``Result.nonfinite``.
        """
        graph = self.graph
        program, overrides = self._program(values, more)
        evaluation = program.evaluate(overrides)
        labels = node_labels(graph)
        _raise_first(evaluation.errors, labels)
        out = evaluation.output
        reaching = graph.ancestors(out)
        order = [nid for nid in graph.topological_order() if nid in evaluation.values]
        grads: dict[str, Value | None] = {}
        for nid in order:
            grad = evaluation.grads.get(nid)
            if grad is None and nid not in reaching:  # no path to the output: d/d = 0
                grad = _zeros_like(evaluation.values[nid])
            grads[labels[nid]] = _own(grad)
        nonfinite = evaluation.nonfinite[1] if evaluation.nonfinite else None
        if nonfinite:
            warnings.warn(f"non-finite value: {nonfinite}", RuntimeWarning, stacklevel=2)
        return Result(
            output=labels[out],
            value=evaluation.values[out],
            values={labels[nid]: evaluation.values[nid] for nid in order},
            grads=grads,
            ops={labels[nid]: graph.node(nid).op for nid in order},
            nonfinite=nonfinite,
        )

    def set(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> GraphHandle:
        """Store source values in the graph (what ``save``, the picture and the editor then
        show); all are checked before any is stored. Returns this handle."""
        resolved = self._overrides(values, more)
        for node_id, value in resolved.items():
            self.graph.set_value(node_id, value)
        return self

    def check(
        self,
        values: Mapping[str, Any] | None = None,
        /,
        *,
        step: float = 1e-6,
        rtol: float = 1e-5,
        atol: float = 1e-7,
        **more: Any,
    ) -> GradientChecks:
        """Every input's and parameter's gradient against central finite differences
        ``(f(x + h) - f(x - h)) / 2h`` (h = ``step``), as ``graphgui check`` does; an element
        passes when ``|autodiff - numeric| <= atol + rtol * |numeric|``. Source values as
        for :meth:`evaluate` (a source called ``step``, ``rtol`` or ``atol``: in the mapping)."""
        from .core.gradcheck import check_gradients

        program, overrides = self._program(values, more)
        _raise_first(program.evaluate(overrides).errors, node_labels(self.graph))
        checks = check_gradients(
            self.graph, output=program.output_id, overrides=overrides, step=step, rtol=rtol,
            atol=atol,
        )
        records = [
            CheckRecord(c.name, c.autodiff, c.numeric, c.abs_error, c.rel_error, c.passed,
                        c.checked, c.elements)
            for c in checks
        ]
        return GradientChecks(node_labels(self.graph)[program.output_id], records, step)

    def steps(
        self, values: Mapping[str, Any] | None = None, /, *, precision: int = 4, **more: Any
    ) -> Steps:
        """The forward pass line by line and the backward pass node by node, each chain-rule
        term with its numbers (what ``graphgui step`` and the stepper show), with
        ``precision`` significant digits. Source values as for :meth:`evaluate`."""
        from .core.explain import explain_backward, explain_forward, label_program

        if not (isinstance(precision, int) and 1 <= precision <= 17):
            raise ValueError(f"precision is 1 to 17 significant digits, got {shown(precision)}")
        program, overrides = self._program(values, more)
        for node_id, value in overrides.items():
            program.set_source(node_id, value)
        label_program(program, self.graph)
        labels = node_labels(self.graph)
        _raise_first(program.evaluate().errors, labels)
        vals = program.forward()
        forward = [line.text for line in explain_forward(program, vals, precision)]
        backward = [
            BackwardStep(ex.number, labels[ex.node_id], ex.heading,
                         tuple(term.text for term in ex.terms))
            for ex in explain_backward(program, vals, precision)
        ]
        return Steps(labels[program.output_id], forward, backward)

    # ---- files, code, pictures -----------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the graph and its settings to ``path`` (a .json graph file), atomically: on
        failure an existing file is left as it was. A folder, a named pipe or a device is
        refused before anything is written (FileFormatError, a ValueError)."""
        from .core import fileformat

        fileformat.save(self.graph, path, self.settings)

    def code(self, target: str = "numpy") -> str:
        """The graph as a Python program: ``"numpy"`` (forward and backward written out),
        ``"torch"`` (a module autograd differentiates) or ``"expr"`` (the expression
        language, which ``gg.parse`` reads back)."""
        from .core.codegen import export_code

        return export_code(self.graph, self.settings, target)

    def svg(self, *, show_grads: bool = True, dark: bool = False) -> str:
        """The SVG picture of the graph as the canvas draws it, values (and gradients) on
        the wires. Needs Qt; raises RuntimeError when it cannot start (see ``_repr_svg_``)."""
        problem = _start_qt()
        if problem:
            raise RuntimeError(f"cannot draw the graph: {problem}")
        from .gui.export import render_svg

        try:
            return render_svg(self.graph, show_grads=show_grads, dark=dark).decode("utf-8")
        finally:
            _flush_deletes()

    def _repr_svg_(self) -> str | None:
        """Jupyter's picture of the graph; None (Jupyter then shows the text repr) when Qt
        cannot start or the graph cannot be drawn."""
        if len(self.graph) == 0:
            return None
        try:
            return self.svg()
        except Exception:  # noqa: BLE001  (a picture that fails leaves the text repr)
            return None

    def __repr__(self) -> str:
        title = f" {self.title!r}" if self.title else ""
        count = len(self.graph)
        text = f"<GraphHandle{title}: {count} node{'' if count == 1 else 's'}"
        try:
            if self.graph.output is not None:
                result = self.evaluate()
                text += f", {result.output} = {format_value(result.value)}"
        except Exception as exc:  # noqa: BLE001  (a repr never raises; it says why)
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            text += f", error: {reason}"
        return text + ">"

    # ---- helpers -------------------------------------------------------------------------

    def _node(self, label: str, what: str) -> str:
        """The id of the node labelled ``label``."""
        by_label = {v: k for k, v in node_labels(self.graph).items()}
        if isinstance(label, str) and label in by_label:
            return by_label[label]
        hint = did_you_mean(label, by_label)
        raise ValueError(f"{what}: the graph has no node named {shown(label)}{hint}")

    def _program(
        self, values: Mapping[str, Any] | None, more: Mapping[str, Any] | None
    ) -> tuple[Program, dict[str, Value]]:
        """The graph compiled, and the checked source values (by node id) to run it with."""
        overrides = self._overrides(values, more)
        program = Program(self.graph)
        if program.output_id is None:
            raise ValueError("the graph is empty: there is no output to evaluate")
        return program, overrides

    def _overrides(
        self, values: Mapping[str, Any] | None, more: Mapping[str, Any] | None
    ) -> dict[str, Value]:
        """Source values by node id, every name and value checked; one ValueError naming
        every problem."""
        if values is not None and not isinstance(values, Mapping):
            raise TypeError(f"values must be a mapping of names to values, not "
                            f"{type(values).__name__}")
        given = {**(values or {}), **(more or {})}
        labels = node_labels(self.graph)
        by_label = {v: k for k, v in labels.items()}
        unknown, computed, bad = [], [], []
        resolved: dict[str, Value] = {}
        for name, value in given.items():
            node_id = by_label.get(name) if isinstance(name, str) else None
            if node_id is None:
                unknown.append(name)
                continue
            node = self.graph.node(node_id)
            if not node.is_source:
                computed.append(f"{name} is computed by {node.op}")
                continue
            try:
                resolved[node_id] = to_value(value)
            except ValueError as exc:
                bad.append(f"{name}: {exc}")
        problems = []
        if unknown:
            problems.append(self._unknown(unknown))
        if computed:
            problems.append(", ".join(computed) + ": only inputs, parameters and constants "
                            "can be set")
        problems += bad
        if problems:
            raise ValueError("; ".join(problems))
        return resolved

    def _unknown(self, names: list[Any]) -> str:
        sources = self.sources
        listed = ", ".join(sources[:_LISTED]) + (", ..." if len(sources) > _LISTED else "")
        hint = did_you_mean(names[0], sources) if len(names) == 1 else ""
        what = "no source named" if len(names) == 1 else "no sources named"
        return (f"{what} {', '.join(shown(n) for n in names)}{hint}: "
                f"the sources are {listed or 'none'}")


# ---- making handles ------------------------------------------------------------------------


def parse(source: str, output: str | None = None, title: str = "") -> GraphHandle:
    """A graph from an expression program, e.g. ``"q = x + y; f = q * z"`` (see
    docs/expression-language.md); ``output`` picks the node to differentiate. Raises
    ExprError (a ValueError) naming the line and column of a mistake."""
    from .core.expr import parse as parse_program

    graph = parse_program(source, output=output, title=title)
    if title:
        graph.title = title
    return GraphHandle(graph)


def load(path: str | os.PathLike[str]) -> GraphHandle:
    """The graph (and settings) in a graph file. Raises FileFormatError (a ValueError)."""
    from .core.fileformat import load_document

    document = load_document(path)
    return GraphHandle(document.graph, document.settings)


def example(name: str) -> GraphHandle:
    """A bundled example, a new copy each time (``graphgui examples`` lists the names:
    ``chain_rule``, ``neuron``, ``moons_network``...). Raises ExampleError (a ValueError)."""
    from .core.examples import load_example_document

    graph, settings = load_example_document(name)
    return GraphHandle(graph, settings)


def examples() -> list[str]:
    """The names of the bundled examples: the worked ones, then the networks to train."""
    from .core.examples import example_names, training_example_names

    return example_names() + training_example_names()


def edit(graph: GraphHandle | Graph) -> str:
    """Open ``graph`` in the editor, in a process of its own, and return at once.

    The graph is saved to a new temporary file, whose path is returned: save in the editor
    (Ctrl+S) and ``gg.load(path)`` reads your edits back. RuntimeError when there is no
    display to open a window on.
    """
    handle = graph if isinstance(graph, GraphHandle) else GraphHandle(graph)
    problem = _editor_problem()
    if problem:
        raise RuntimeError(f"cannot open the editor: {problem}")
    fd, path = tempfile.mkstemp(prefix="graphgui-", suffix=".json")
    os.close(fd)
    handle.save(path)
    subprocess.Popen(
        [sys.executable, "-m", "graphgui", path],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        close_fds=True, **_detached(),
    )
    return path


# ---- Qt, only when a picture or the editor is asked for -------------------------------------


def _editor_problem() -> str | None:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.split(":")[0] in ("offscreen", "minimal"):
        return (f"QT_QPA_PLATFORM is {platform!r}, so the editor would have no window "
                "(unset it to edit)")
    from .gui.display_check import display_problem

    return display_problem()


def _detached() -> dict[str, Any]:
    """Popen arguments that let the editor outlive the notebook's kernel and its signals."""
    if sys.platform == "win32":
        flags = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
        return {"creationflags": flags}
    return {"start_new_session": True}


def _start_qt() -> str | None:
    """Make sure a QApplication runs; why one cannot, or None.

    An application already running (an editor, ``%gui qt``) is used as it is. Otherwise one
    is created on the offscreen platform unless QT_QPA_PLATFORM names another; that is
    passed as ``-platform offscreen``, never written to os.environ, so an editor that
    :func:`edit` starts later still opens a window. A platform that names a display that
    is not there is refused here: Qt would abort the whole kernel.
    """
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        return f"PySide6 cannot be imported ({exc})"
    app = QApplication.instance()
    if app is not None:
        return None if isinstance(app, QApplication) else "a non-widget Qt application runs"
    argv: list[str] = []
    if os.environ.get("QT_QPA_PLATFORM"):
        from .gui.display_check import display_problem

        problem = display_problem()
        if problem:
            return f"QT_QPA_PLATFORM is {os.environ['QT_QPA_PLATFORM']!r}: {problem}"
    else:
        argv = ["-platform", "offscreen"]
    from .gui.application import application

    application(argv)
    global _OWN_APPLICATION
    _OWN_APPLICATION = True
    return None


_OWN_APPLICATION = False  # whether _start_qt made the QApplication (then no loop runs)


def _flush_deletes() -> None:
    """Deliver what drawing a picture posted, then delete its scene: the scene is freed with
    deleteLater and queues a zero-time timer, and in a kernel where no Qt event loop runs
    nothing would deliver either (each picture would keep about 150 kB). Only for the
    application made here: one someone else runs has a loop of its own."""
    if _OWN_APPLICATION:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _raise_first(errors: Mapping[str, str], labels: Mapping[str, str]) -> None:
    if errors:
        node_id, message = next(iter(errors.items()))
        raise EvaluationError(node_id, f"{labels.get(node_id, node_id)}: {message}")


def _zeros_like(value: Value) -> Value:
    return 0.0 if isinstance(value, float) else np.zeros_like(value)


def _own(value: Value | None) -> Value | None:
    """A gradient the caller may change: the engine may hand out read-only broadcasts."""
    if isinstance(value, np.ndarray) and not value.flags.writeable:
        return value.copy()
    return value


__all__ = [
    "BackwardStep", "CheckRecord", "GradientChecks", "GraphHandle", "Result", "Steps", "edit",
    "example", "examples", "load", "parse",
]
