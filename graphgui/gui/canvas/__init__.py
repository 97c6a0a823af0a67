"""The canvas: a QGraphicsScene that follows a Graph's events, and its view."""

from .scene import GraphScene
from .view import GraphView

__all__ = ["GraphScene", "GraphView"]
