"""graphgui: a computational-graph editor for learning, teaching and debugging backprop."""

__version__ = "0.1.0"
