"""Everything about files in the editor, by responsibility:

- ``controller``: :class:`FileController`: Open, Save, Save As, Revert, Export Image, the
  examples, the Save/Discard/Cancel guard, crash recovery; follows the shown document.
- ``prompts``: every question to the user, one method each (tests replace them).
- ``menus``: the File menu entries and toolbar buttons, the Examples submenu.
- ``recent``: File > Open Recent (the list in QSettings and its menu).
- ``drops``: graph files dropped on the window or canvas.
- ``graphfile``: writing a graph file atomically.
- ``code_export``: File > Export Code… (the graph as NumPy, PyTorch or expression code).
- ``autosaving``: when unsaved work is autosaved (the files: :mod:`graphgui.gui.autosave`).

``install(shell)`` puts it onto a :class:`~graphgui.gui.shell.Shell` (menu entries, toolbar
buttons, a close guard, drop targets) and returns the controller. Every file is written by
:mod:`graphgui.gui.atomic`: on any failure the old file is left byte-identical.
"""

from .autosaving import AUTOSAVE_DELAY_MS, AUTOSAVE_INTERVAL_MS
from .controller import DocumentFacts, FileController, install
from .drops import dropped_files
from .graphfile import write_graph_file
from .menus import EXERCISE_PREFIX, is_exercise
from .prompts import GRAPH_FILTER, LAST_DIR_KEY, PNG_FILTER, SVG_FILTER, RestoreChoice
from .recent import MAX_RECENT, RECENT_KEY

__all__ = [
    "AUTOSAVE_DELAY_MS", "AUTOSAVE_INTERVAL_MS", "EXERCISE_PREFIX", "GRAPH_FILTER",
    "LAST_DIR_KEY", "MAX_RECENT", "PNG_FILTER", "RECENT_KEY", "SVG_FILTER", "DocumentFacts",
    "FileController", "RestoreChoice", "dropped_files", "install", "is_exercise",
    "write_graph_file",
]
