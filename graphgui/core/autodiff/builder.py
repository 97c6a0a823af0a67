"""The builder an op's ``vjp_graph`` rule writes its gradient with: registry-op nodes added
to a graph, each computed at once so every node's shape is known while the graph is built.

A rule never sees numbers, only :class:`Ref` handles and their static shapes; the numbers
come later, when the finished graph is evaluated (so it can be differentiated again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Graph
from ..ops import get_op
from ..values import Value

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Ref:
    """A node of the graph being built: what ``vjp_graph`` rules take and return."""

    id: str


class Builder:
    """Adds ordinary registry-op nodes to ``graph``, wiring them as a rule asks.

    ``values`` holds the forward value of every node a rule may refer to (the original
    graph's, evaluated once); each new node is computed as it is added, so :meth:`shape`
    is always known. Errors are ValueErrors with one-line messages.
    """

    def __init__(self, graph: Graph, values: Mapping[str, Value]) -> None:
        self.graph = graph
        self._values: dict[str, Value] = dict(values)
        self.created: list[str] = []  # ids of the nodes this builder added, in order
        self._created: set[str] = set()

    # ---- what a rule asks ----------------------------------------------------------------

    def shape(self, ref: Ref) -> Shape:
        """The static shape of ``ref`` (``()`` for a scalar)."""
        return np.shape(self._values[ref.id])

    def op(self, name: str, *refs: Ref, **params: Any) -> Ref:
        """A new ``name`` node fed by ``refs`` (in port order), with ``params``."""
        spec = get_op(name)
        if len(refs) != spec.arity:
            raise ValueError(f"{name} takes {spec.arity} inputs, got {len(refs)}")
        node = self.graph.add_node(spec.name, params=params)
        for port, ref in enumerate(refs):
            self.graph.connect(ref.id, node.id, port)
        args = [self._values[r.id] for r in refs]
        try:
            with np.errstate(all="ignore"):  # nan and inf show in the evaluated graph
                value = spec.forward(*args, **node.params)
        except Exception as exc:  # noqa: BLE001  (reported as the rule's failure)
            shapes = " and ".join(str(np.shape(a)) for a in args)
            raise ValueError(f"{name} of shapes {shapes} failed: {exc}") from None
        self._values[node.id] = value
        return self._added(node.id)

    def const(self, value: Any) -> Ref:
        """A new constant node: the engine never differentiates with respect to it."""
        node = self.graph.add_node("constant", value=value)
        self._values[node.id] = node.value
        return self._added(node.id)

    def is_new(self, ref: Ref) -> bool:
        """Whether this builder added ``ref`` (else it is a node of the original graph)."""
        return ref.id in self._created

    def _added(self, node_id: str) -> Ref:
        self.created.append(node_id)
        self._created.add(node_id)
        return Ref(node_id)

    def ones(self, shape: Shape) -> Ref:
        return self.const(np.ones(shape) if shape else 1.0)

    def zeros(self, shape: Shape) -> Ref:
        return self.const(np.zeros(shape) if shape else 0.0)

    def grads(
        self, inputs: Sequence[Ref], needs: Sequence[bool], *rules: Callable[[], Ref]
    ) -> tuple[Ref | None, ...]:
        """What most rules return: ``rules[k]()`` builds input k's contribution (any shape
        that broadcasts against it), run only where ``needs[k]`` and unbroadcast to the
        input's shape; None elsewhere."""
        return tuple(
            self.unbroadcast(rule(), self.shape(ref)) if need else None
            for ref, need, rule in zip(inputs, needs, rules, strict=True)
        )

    def unbroadcast(self, ref: Ref, shape: Shape) -> Ref:
        """``ref`` brought to ``shape`` as ops/_helpers.unbroadcast does to numbers: summed
        over the axes broadcasting added, spread out (times ones) where ``shape`` is larger.
        """
        have = self.shape(ref)
        shape = tuple(shape)
        if have == shape:
            return ref
        full = np.broadcast_shapes(have, shape)
        if full != have:  # spread first: d(mean(y * s))/dy for a scalar s is one per element
            ref = self.op("mul", ref, self.ones(full))
        if full == shape:
            return ref
        lead = len(full) - len(shape)
        axes = list(range(lead)) + [
            lead + i for i, n in enumerate(shape) if n == 1 and full[lead + i] != 1
        ]
        if not shape:
            return self.op("sum", ref, axis=None)
        for axis in reversed(axes):  # the highest first, so the lower indices stay valid
            ref = self.op("sum", ref, axis=axis)
        if self.shape(ref) != shape:  # the summed axes of size 1 come back
            ref = self.op("reshape", ref, shape=shape)
        return ref

    def keepdims(self, ref: Ref, shape: Shape, axis: int | None) -> Ref:
        """``ref``, a reduction of an array of ``shape`` over ``axis``, reshaped so it
        broadcasts against that array again (NumPy's ``keepdims=True``)."""
        if axis is None or not shape:
            return ref
        kept = list(shape)
        kept[axis % len(shape)] = 1
        return self.op("reshape", ref, shape=tuple(kept))


__all__ = ["Builder", "Ref", "Shape"]
