"""Forward mode as the views show it: which input the tangents follow, and d(node)/d(seed)
for every node, computed from the view state's one evaluation (no Qt here).

The choice is kept by node id (a rename keeps it) and resolved again against the graph after
every evaluation: when its input is deleted, stops being an input, or changes shape so the
chosen element or direction no longer fits, the seed is dropped (no stale tangent stays on
screen; an undo brings the input back, not its tangents). The forward-mode plan is compiled
once per Program and seed; each new evaluation runs it once over the evaluation's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphgui.core.autodiff.tangents import Seed, TangentError, TangentPlan, resolve_seed
from graphgui.core.engine import Evaluation, Program
from graphgui.core.graph import Graph

SEED_OPS = ("input", "parameter")  # what the Forward Mode dock offers to follow


@dataclass(frozen=True)
class SeedChoice:
    """What the user picked: a source node, and one element of it or a direction of its
    shape (neither: a scalar's 1, a tensor's first element)."""

    node_id: str
    index: tuple[int, ...] | None = None
    direction: Any = None  # data of the source's shape (a list or an array)

    def wrt(self) -> str:
        """The reference core's :func:`resolve_seed` reads (``n2`` or ``n2[0,1]``)."""
        if self.index is None:
            return self.node_id
        return f"{self.node_id}[{','.join(str(i) for i in self.index)}]"


def resolve(graph: Graph, choice: SeedChoice) -> Seed:
    """The seed of ``choice`` in ``graph`` as it is now; raises TangentError saying why not."""
    if choice.node_id not in graph:
        raise TangentError("the input it followed was deleted")
    return resolve_seed(graph, choice.wrt(), choice.direction)


def seed_sources(graph: Graph) -> list[str]:
    """The ids of the inputs, then of the parameters, in graph order (what a seed may be)."""
    return [n.id for op in SEED_OPS for n in graph if n.op == op]


class TangentState:
    """The seed, whether tangents are shown, and the tangents of the latest evaluation."""

    def __init__(self) -> None:
        self.choice: SeedChoice | None = None
        self.seed: Seed | None = None
        self.shown = False
        self._plan: TangentPlan | None = None
        self._plan_for: str | None = None  # the seed's node id
        self._for: tuple[Evaluation, Program, Seed] | None = None
        self._values: dict[str, Any] = {}

    def clear(self, keep_shown: bool = False) -> None:
        """No seed (and, unless ``keep_shown``, Show Tangents off)."""
        self.choice = self.seed = None
        self.shown = self.shown and keep_shown
        self._plan = self._plan_for = self._for = None
        self._values = {}

    def choose(self, graph: Graph, choice: SeedChoice | None) -> Seed | None:
        """Follow ``choice`` (None: no seed). Raises TangentError and changes nothing when
        it cannot be followed."""
        if choice is None:  # no seed; whether tangents are shown stays as it is
            self.choice = self.seed = None
            self._for = None
            return None
        seed = resolve(graph, choice)
        self.choice, self.seed = choice, seed
        self._for = None
        return seed

    def follow(self, graph: Graph | None) -> str:
        """After an evaluation: the seed again from the graph as it is now. Returns why it
        was dropped ("" when it still holds, or there was none)."""
        if self.choice is None:
            return ""
        old = self.seed
        try:
            if graph is None:
                raise TangentError("the graph is gone")
            seed = resolve(graph, self.choice)
        except TangentError as exc:
            label = old.label if old is not None else "the input"
            self.clear()
            return f"Tangents d/d{label} cleared: {exc}."
        if old is None or seed.label != old.label or seed.node_id != old.node_id:
            self._for = None
        self.seed = seed
        return ""

    def tangents(self, ev: Evaluation | None, program: Program | None) -> Mapping[str, Any]:
        """d(node)/d(seed) for every evaluated node (0 where a node does not depend on the
        seed), from ``ev``'s values; computed once per evaluation."""
        seed = self.seed
        if seed is None or ev is None or program is None or seed.node_id not in program.slot:
            return {}
        key = (ev, program, seed)
        if self._for is not None and all(a is b for a, b in zip(self._for, key, strict=True)):
            return self._values
        self._for, self._values = key, tangent_values(self._plan_of(program, seed), ev, seed)
        return self._values

    def _plan_of(self, program: Program, seed: Seed) -> TangentPlan:
        plan = self._plan
        if plan is None or plan.program is not program or self._plan_for != seed.node_id:
            plan = self._plan = TangentPlan(program, seed.node_id)
            self._plan_for = seed.node_id
        return plan


def program_values(program: Program, ev: Evaluation) -> list[Any]:
    """``ev``'s values in ``program``'s slots (None where a node was not evaluated)."""
    return [ev.values.get(nid) for nid in program.ids]


def tangent_values(plan: TangentPlan, ev: Evaluation, seed: Seed) -> dict[str, Any]:
    program = plan.program
    vals = program_values(program, ev)
    if vals[plan.seed_slot] is None or np.shape(vals[plan.seed_slot]) != np.shape(seed.direction):
        return {}
    try:
        tans = plan.run(vals, seed.direction)
    except (ValueError, TypeError, ArithmeticError, IndexError):  # a value the rules refuse
        return {}
    return {
        nid: (_zero_like(vals[k]) if tans[k] is None else tans[k])
        for k, nid in enumerate(program.ids) if vals[k] is not None
    }


def _zero_like(value: Any) -> Any:
    return 0.0 if isinstance(value, float) else np.zeros(np.shape(value))
