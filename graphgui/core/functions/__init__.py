"""Function nodes: a named piece of graph drawn as one node (collapsed) or in a frame.

A function *instance* (a :class:`Group`) is a set of ordinary nodes of the graph, marked with
the group's id, plus the names of its inputs (the inner ports its arguments feed) and outputs.
A :class:`FunctionDef` is the template new instances are made from. The engine never sees
functions: it runs the ordinary nodes, in an order that keeps each instance's nodes together
(:func:`grouped_order`), so eval, check, step, training, export and every CLI command work
through functions unchanged, and stepping into a function shows real nodes with real values.
See docs/design.md, "Functions are groups of ordinary nodes".
"""

from .model import FunctionDef, Group, GroupInput, GroupOutput, GroupsMixin
from .order import grouped_order

__all__ = ["FunctionDef", "Group", "GroupInput", "GroupOutput", "GroupsMixin", "grouped_order"]
