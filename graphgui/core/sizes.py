"""Result sizes predicted before a forward pass: every op's shape rule (OpSpec.shape_rule)
applied to the sources' shapes, so a result over MAX_ELEMENTS is refused, naming the node,
the shapes and the limit, before anything is allocated. The Program calls this once per set
of source shapes and remembers the answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .graph import Node
from .ops.shapes import TooLarge, elements
from .values import MAX_ELEMENTS

Plan = list[tuple[int, Any, int, int]]


def shape_of(value: Any) -> tuple[int, ...]:
    return () if value.__class__ is float else tuple(np.shape(value))


def predict_oversize(
    nodes: Mapping[str, Node], ids: Sequence[str], plan: Plan, vals: Sequence[Any]
) -> dict[int, str]:
    """Slots of ``plan`` whose result (or an intermediate) would hold more than MAX_ELEMENTS
    elements, with the reason; ``vals`` holds the source values by slot."""
    largest = max((elements(shape_of(v)) for k, v in enumerate(vals)
                   if v is not None and nodes[ids[k]].is_source), default=0)
    if largest <= 1:  # numbers in, numbers out: no op makes an array out of scalars
        return {}
    return predict_shapes(nodes, ids, plan, vals)[1]


def predict_shapes(
    nodes: Mapping[str, Node], ids: Sequence[str], plan: Plan, vals: Sequence[Any]
) -> tuple[list[Any], dict[int, str]]:
    """Every slot's result shape by the ops' shape rules (None where an op has no rule or
    its inputs' shapes do not combine), and the slots over MAX_ELEMENTS with the reason."""
    shapes: list[Any] = [None] * len(ids)
    for k, value in enumerate(vals):
        if value is not None and nodes[ids[k]].is_source:
            shapes[k] = shape_of(value)
    bad: dict[int, str] = {}
    for i, _, a, b in plan:
        ins = (shapes[a],) if b < 0 else (shapes[a], shapes[b])
        node = nodes[ids[i]]
        rule = node.spec.shape_rule
        if rule is None or any(s is None for s in ins):
            continue  # not predicted: the op computes (or fails) as it always did
        try:
            out = tuple(rule(*ins, **node.params))
            if elements(out) > MAX_ELEMENTS:
                raise TooLarge(out)
        except TooLarge as exc:
            bad[i] = _too_large(node, exc, ins)
            continue
        except Exception:  # noqa: BLE001  (shapes that do not combine: the op says why)
            continue
        shapes[i] = out
    return shapes, bad


def without(
    plan: Plan, bad: Mapping[int, str], inputs: Sequence[tuple[int, ...]],
    ids: Sequence[str], titles: Sequence[str], errors: dict[str, Any],
) -> Plan:
    """``plan`` without the slots in ``bad`` and every node depending on one; the reasons go
    into ``errors`` by node id, as the forward pass reports any failure."""
    failed: dict[int, str] = {}
    kept = []
    for entry in plan:
        i = entry[0]
        if i in bad:
            failed[i] = titles[i]
            errors[ids[i]] = bad[i]
            continue
        cause = next((failed[a] for a in inputs[i] if a in failed), None)
        if cause is not None:
            failed[i] = cause
            errors[ids[i]] = f"depends on {cause}, which failed"
            continue
        kept.append(entry)
    return kept


def _too_large(node: Node, exc: TooLarge, inputs: tuple) -> str:
    shown = " and ".join("a scalar" if not s else str(s) for s in inputs)
    return (
        f"{node.op} would make {exc.what} of shape {exc.shape} ({elements(exc.shape):,} "
        f"elements) from {shown}, more than the limit of {MAX_ELEMENTS:,} elements"
    )
