"""The Qt-free model layer: ops, graphs, the engine, expressions and files.

Nothing under ``graphgui.core`` imports Qt (a test asserts it), so every command can run
headless and start fast.
"""

from .engine import Evaluation, EvaluationError, Program, Step, evaluate
from .graph import Edge, Graph, GraphError, Node
from .ops import all_ops, get_op

__all__ = [
    "Edge", "Evaluation", "EvaluationError", "Graph", "GraphError", "Node", "Program", "Step",
    "all_ops", "evaluate", "get_op",
]
