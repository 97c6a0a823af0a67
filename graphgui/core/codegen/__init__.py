"""A graph as code: a NumPy module, a PyTorch module or the expression program.

``export_code(graph, settings, target)`` writes, from the validated graph only (names are
sanitised identifiers, numbers repr'd floats, op rules the registry's code templates):

- ``"numpy"``: ``forward(...)`` computing every node under its label and ``backward(values)``
  applying the chain rule node by node, in the notebooks' style; with training settings
  (``settings["training"]``) also ``load_data()`` and ``train()``, the trainer's loop with
  its optimizer written out;
- ``"torch"``: an ``nn.Module`` (parameters as ``nn.Parameter``, inputs as ``forward()``'s
  arguments) differentiated by autograd, with the matching ``torch.optim`` training loop;
- ``"expr"``: the expression program (docs/expression-language.md) that builds the graph
  again: same ops, names, values, parameters, wiring and output.

Run as a program, a NumPy or PyTorch module evaluates the graph at its stored values and
prints ``{"output": NAME, "value": V, "values": {NAME: V}, "grads": {NAME: G}}``, the
object ``graphgui eval --json`` prints;
``--train`` runs the training loop instead. Modules: ``analysis`` (what every target needs
to know), ``names``, ``literals``, ``numpy_target``, ``torch_target``, ``training`` and
``data`` (the loop and its data set), ``expr_target``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..functions.copying import without_functions
from ..graph import Graph
from .analysis import CodegenError, analyze
from .expr_target import expr_program, program_names
from .numpy_target import numpy_module
from .torch_target import torch_module
from .training import plan_training

TARGETS = ("numpy", "torch", "expr")


def export_code(graph: Graph, settings: Mapping[str, Any] | None, target: str) -> str:
    """``graph`` as the source text of ``target`` (one of :data:`TARGETS`); ``settings`` is
    the graph file's settings object (its ``"training"`` entry adds the training loop).
    Raises :class:`CodegenError` (a ValueError) with a one-line reason."""
    if target not in TARGETS:
        raise CodegenError(f"unknown target {target!r} (one of {', '.join(TARGETS)})")
    if target == "expr":
        return expr_program(graph)
    # Function instances only group nodes: the modules are the flat graph's, line for line.
    analysis = analyze(without_functions(graph), torch=target == "torch")
    plan, note = plan_training(analysis, settings)
    write = numpy_module if target == "numpy" else torch_module
    return write(analysis, graph.title, plan, note)


__all__ = ["TARGETS", "CodegenError", "export_code", "program_names"]
