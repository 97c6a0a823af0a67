"""One sample's graph: the training graph run on a single column of its data.

A training graph holds its batch in the data nodes (samples along the last axis, ``X`` of
shape (features, n)). :func:`sample_graph` is a copy whose data nodes hold sample ``i``
alone, so every view (canvas, inspector, stepper, every command with ``--sample K``) can show
that sample's forward values and its own backward pass: the gradients of its own loss. With
a loss that is a mean over the samples, the batch gradient is the mean of these over the n
samples (each sample's slice of it is its gradient / n; tests/core/test_sample.py checks it).

``parameters`` (e.g. one epoch of a training timeline) are written into the copy, so the
sample is taken at that moment of a run: its values, its gradients and the graph the stepper
steps all hold them; ``Sample.epoch`` says which moment (None: the graph's own parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..engine import Evaluation, Program
from ..errors import GraphError
from ..graph import Graph

DEFAULT_INPUTS: Mapping[str, str] = MappingProxyType({"X": "X", "Y": "Y"})


class SampleError(ValueError):
    """The graph has no batch to take a sample from, or no such sample; says why."""


@dataclass(frozen=True)
class Sample:
    """Sample ``index`` of ``count``: its graph and its evaluation (its own gradients);
    ``parameters``/``epoch``: the moment of a run it was taken at (None: the graph's own)."""

    index: int
    count: int
    graph: Graph
    evaluation: Evaluation
    inputs: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_INPUTS))
    axis: int = 1  # the samples' axis in X and Y
    parameters: Mapping[str, Any] | None = None
    epoch: int | None = None


def batch_size(graph: Graph, inputs: Mapping[str, str] = DEFAULT_INPUTS, axis: int = 1) -> int:
    """How many samples the data nodes hold (X's ``axis``: 1, the notebooks' columns, or
    0, rows)."""
    x = _data_node(graph, inputs, "X")
    shape = np.shape(x.value)
    if len(shape) != 2:
        raise SampleError(f"{x.title} holds no batch: its value has shape {shape}, "
                          "not (features, samples)")
    return int(shape[axis])


def sample_graph(
    graph: Graph, index: int, inputs: Mapping[str, str] = DEFAULT_INPUTS, axis: int = 1,
    parameters: Mapping[str, Any] | None = None,
) -> Graph:
    """A copy of ``graph`` whose data nodes hold sample ``index`` alone (same node ids);
    samples lie along ``axis`` of X and Y. ``parameters`` (node id -> value) replace those
    nodes' values in the copy (ids the graph lacks are refused)."""
    n = batch_size(graph, inputs, axis)
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n:
        raise SampleError(f"there is no sample {index!r}: the batch has samples 0 to {n - 1}")
    copy = graph.subgraph(node.id for node in graph)
    for key in ("X", "Y"):
        node = _data_node(graph, inputs, key, required=key == "X")
        if node is None:
            continue
        value = np.asarray(node.value)
        if value.ndim != 2 or value.shape[axis] != n:
            raise SampleError(f"{node.title} has shape {value.shape}; it needs the {n} "
                              "samples X has, along the same axis")
        copy.set_value(node.id, np.take(value, [index], axis=axis))
    for pid, value in (parameters or {}).items():
        if pid not in copy:
            raise SampleError(f"the graph has no node {pid!r} to give a parameter value")
        copy.set_value(pid, np.array(value, copy=True) if isinstance(value, np.ndarray)
                       else value)
    copy.title = f"{graph.title} · sample {index}"
    return copy


def sample_evaluation(
    graph: Graph, index: int, inputs: Mapping[str, str] = DEFAULT_INPUTS,
    output: str | None = None, axis: int = 1,
    parameters: Mapping[str, Any] | None = None, epoch: int | None = None,
) -> Sample:
    """Sample ``index``'s values and the gradients of its own loss, with ``parameters``
    (after ``epoch`` epochs of a run) in place of the graph's when given."""
    n = batch_size(graph, inputs, axis)
    copy = sample_graph(graph, index, inputs, axis, parameters)
    ev = Program(copy, output=output).evaluate(wires=True)
    return Sample(index, n, copy, ev, dict(inputs), axis,
                  dict(parameters) if parameters is not None else None,
                  epoch if parameters is not None else None)


def nearest_sample(
    graph: Graph, point: Sequence[float], inputs: Mapping[str, str] = DEFAULT_INPUTS
) -> int:
    """The sample whose first two features are nearest ``point`` (a click on a plot)."""
    x = np.asarray(_data_node(graph, inputs, "X").value, dtype=float)
    batch_size(graph, inputs)
    features = x[: len(point)]
    d = ((features - np.asarray(point, dtype=float)[:, None]) ** 2).sum(axis=0)
    return int(np.argmin(d))


def _data_node(graph: Graph, inputs: Mapping[str, str], key: str, required: bool = True):
    ref = inputs.get(key, key)
    try:
        node = graph.lookup(ref)
    except GraphError:
        if not required:
            return None
        role = "features" if key == "X" else "targets"
        raise SampleError(f"the graph has no input {ref!r} holding the {role} to take a "
                          "sample from") from None
    if not node.is_source:
        raise SampleError(f"{ref} is computed by {node.op}; the data must be an input")
    return node
