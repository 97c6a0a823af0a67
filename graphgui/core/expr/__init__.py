"""Expression programs -> Graph.

A program is a small subset of Python: one assignment per line (or separated by ``;``),
arithmetic operators and calls to registered ops. It is parsed with :mod:`ast` and every
syntax node is checked against an allow-list; nothing is ever evaluated with ``eval`` or
``exec``, and the graph is not evaluated while it is built. See docs/expression-language.md.

Rules in short:

- a name used but never assigned is an ``input`` (value 0.0);
- ``x = -2`` or ``W = [[1, 2], [3, 4]]`` (a number or list written out) makes ``x`` an
  input holding that value; ``w = param(0.5)`` a parameter; ``c = const(3)`` a constant;
- ``y = <expression>`` names the node computing the expression ``y``; ``y = x`` (a bare
  name) adds an ``identity`` node named ``y``;
- re-assigning a name gives it to the new node and renames the older one (``a_1``);
- number literals, ``pi`` and ``e`` inside expressions become unnamed ``constant`` nodes;
- the output is ``output`` if given, else a bare expression on the last line, else the last
  assigned name that is computed (not a plain value);
- ``def neuron(x, w, b):`` with assignments and a final ``return`` defines a function;
  each call of it (``h1 = neuron(x, w, b)``) is one function instance of the graph.

Modules: ``syntax`` (limits, the allow-list, ExprError), ``parser`` (:func:`parse`),
``builder`` (ast -> nodes), ``functions`` (defs and calls) and ``hints`` (did-you-mean
suggestions). Import from here.
"""

from .parser import parse
from .syntax import (
    MAX_DEPTH,
    MAX_LIST_ELEMENTS,
    MAX_NODES,
    MAX_SOURCE_BYTES,
    MAX_STATEMENTS,
    NAMED_CONSTANTS,
    SOURCE_FORMS,
    ExprError,
)

__all__ = [
    "MAX_DEPTH", "MAX_LIST_ELEMENTS", "MAX_NODES", "MAX_SOURCE_BYTES", "MAX_STATEMENTS",
    "NAMED_CONSTANTS", "SOURCE_FORMS", "ExprError", "parse",
]
