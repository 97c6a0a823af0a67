"""Which moment of training the graph's parameters are of, for the Health dock's caption:
``before any run``, ``after epoch 150``, ``after epoch 300 (150 in the last run)``,
``edited parameters``.

The dock reads the graph's own evaluation when no run is live, so what it shows depends on
the parameters alone: they are compared with those the document opened with and those each
run (of the last few) started from and ended with. Undo of a run's result is "before" it
again; parameters set back to the opened ones (by Undo, or by hand) are "before any run".
Parameters are held by reference (a graph's values are replaced, never written in place)
and compared by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgui.core.graph import Graph
from graphgui.core.values import values_equal

KEPT = 6  # moments remembered (the opening one always)


def parameters_of(graph: Graph | None) -> dict[str, Any]:
    """Parameter node id -> its value."""
    if graph is None:
        return {}
    return {n.id: n.value for n in graph.nodes if n.op == "parameter"}


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(
        a[k] is b[k] or values_equal(a[k], b[k]) for k in a)


class Moments:
    """Known parameter sets, each with the epochs trained to reach it from the opened ones
    (None: not known, parameters edited by hand) and, for a run from edited parameters,
    that run's own epochs."""

    def __init__(self) -> None:
        self._known: list[tuple[dict[str, Any], int | None, int]] = []
        self._start: dict[str, Any] = {}  # the parameters the run under way started from
        self._base: int | None = 0  # the epochs they had been trained

    def opened(self, graph: Graph | None) -> None:
        """A document opened: its parameters are "before any run"."""
        self._known = [(parameters_of(graph), 0, 0)]
        self._start, self._base = {}, 0

    def find(self, params: Mapping[str, Any]) -> tuple[int | None, int] | None:
        """(epochs from the opened parameters or None, the last run's epochs) of a known
        parameter set; None when ``params`` is none of them."""
        for known, epochs, own in reversed(self._known):
            if _same(known, params):
                return epochs, own
        return None

    def run_started(self, graph: Graph | None) -> None:
        self._start = parameters_of(graph)
        found = self.find(self._start)
        self._base = found[0] if found is not None else None

    def run_ended(self, parameters: Mapping[str, Any], epochs: int) -> None:
        """A run ended with ``parameters`` (id -> value: the trained ones) after ``epochs``
        of its own."""
        params = {**self._start, **parameters}
        self._known.append((params, None if self._base is None else self._base + epochs,
                            epochs))
        if len(self._known) > KEPT:
            del self._known[1:len(self._known) - KEPT + 1]

    def label(self, graph: Graph | None) -> str:
        """``before any run``, ``after epoch N``, ``after N epochs from edited parameters``
        or ``edited parameters`` (of the graph's parameters now)."""
        if graph is None:
            return ""
        found = self.find(parameters_of(graph))
        if found is None:
            return "edited parameters"
        epochs, own = found
        if epochs is None:
            return f"after {own} epochs from edited parameters"
        if epochs == 0:
            return "before any run"
        if own and own != epochs:  # runs one after another: the Trainer counts the last
            return f"after epoch {epochs} ({own} in the last run)"
        return f"after epoch {epochs}"
