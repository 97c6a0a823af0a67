"""Leaves of a graph: their value is stored on the node, not computed."""

from __future__ import annotations

from .registry import OpSpec, register

for _name, _label, _doc in (
    ("input", "in", "a value you set: data or a variable to differentiate against"),
    ("constant", "const", "a fixed number; no gradient is computed for it"),
    ("parameter", "param", "a trainable weight or bias; training updates it"),
):
    register(
        OpSpec(
            name=_name,
            category="Sources",
            label=_label,
            doc=_doc,
            inputs=(),
            forward=None,
            vjps=(),
            formula="value",
            derivatives=(),
            is_source=True,
        )
    )

SOURCE_OPS = frozenset({"input", "constant", "parameter"})
