"""Package data installed as ``graphgui.resources``: the bundled example graphs, the icon and
the desktop entry. Read them through graphgui.core.resources (importlib.resources)."""
