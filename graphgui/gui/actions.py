"""One action factory and one shortcut table for every window action.

``make_action`` never hands Qt's ``checked`` flag to a slot that does not ask for it: a plain
action calls ``slot()``; a checkable one calls ``slot(on)`` from ``toggled``. (A slot such as
``paste(at=None)`` connected straight to ``triggered(bool)`` receives ``False`` as ``at``.)
Every shortcut of the app is in :data:`SHORTCUTS`, so the Help table and the tests see them
in one place and no two actions share a key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

S = QKeySequence.StandardKey

#: action name -> keys: standard keys (the platform's primary binding) or key texts.
SHORTCUTS: dict[str, list[Any]] = {
    # File
    "new": [S.New, "Ctrl+N"],
    "open": [S.Open, "Ctrl+O"],
    "save": [S.Save, "Ctrl+S"],
    "save_as": [S.SaveAs, "Ctrl+Shift+S"],
    "export_image": ["Ctrl+E"],
    "export_code": ["Ctrl+Shift+E"],
    "quit": [S.Quit, "Ctrl+Q"],
    # Edit
    "undo": [S.Undo],
    "redo": [S.Redo, "Ctrl+Y", "Ctrl+Shift+Z"],
    "cut": [S.Cut],
    "copy": [S.Copy],
    "paste": [S.Paste],
    "duplicate": ["Ctrl+D"],
    # Not QKeySequence.Delete: on X11 it includes Ctrl+D, which would make Duplicate's
    # Ctrl+D ambiguous (neither action then fires).
    "delete": ["Del", "Backspace"],
    "select_all": [S.SelectAll],
    # View
    "zoom_in": [S.ZoomIn, "Ctrl+="],
    "zoom_out": [S.ZoomOut],
    "zoom_reset": ["Ctrl+0"],
    "fit": ["Home", "Ctrl+Shift+F"],
    "show_values": ["Ctrl+1"],
    "show_grads": ["Ctrl+2"],
    "snap": ["Ctrl+G"],
    # Graph
    "layout": ["Ctrl+L"],
    "evaluate": ["F5"],
    "group_function": ["Ctrl+Shift+G"],
    "ungroup_function": ["Ctrl+Shift+U"],
    "toggle_function": ["Ctrl+Shift+O"],
    # Step: F9/F10/F11 as in debuggers; Shift = all the way.
    "step_forward": ["F10"],
    "step_backward": ["F11"],
    "step_back": ["F9"],
    "step_into": ["Alt+F10"],
    "step_run_end": ["Shift+F11"],
    "step_run_node": ["Ctrl+F10"],
    "step_reset": ["Shift+F9"],
    # Train
    "train_start": ["Ctrl+T"],
    "train_pause": ["Ctrl+Shift+T"],
    "landscape_show": ["Ctrl+Shift+L"],
    # Autodiff
    "paths_to_output": ["Ctrl+Shift+P"],
    "show_tangents": ["Ctrl+3"],  # beside View's Ctrl+1 (values) and Ctrl+2 (gradients)
    "show_health": ["Ctrl+4"],  # View > Show Network Health, after Ctrl+1 to Ctrl+3
    "forward_step": ["Ctrl+Shift+F10"],  # forward mode: Ctrl+Shift and the stepper's keys
    "forward_back": ["Ctrl+Shift+F9"],
    # Help
    "shortcuts": ["F1"],
}


def key_sequences(keys: Any) -> list[QKeySequence]:
    """Shortcuts for ``keys`` (one key or a list): the platform's primary binding of each
    standard key (not its alternatives such as F14 for Undo on X11) and each key given as
    text; no repeats, no empty ones."""
    found: list[QKeySequence] = []
    for key in keys if isinstance(keys, list | tuple) else [keys]:
        if isinstance(key, QKeySequence.StandardKey):
            bindings = QKeySequence.keyBindings(key)
            seq = bindings[0] if bindings else QKeySequence()
        else:
            seq = QKeySequence(key)
        if not seq.isEmpty() and seq not in found:
            found.append(seq)
    return found


def shortcuts_for(name: str) -> list[QKeySequence]:
    """The keys of action ``name`` from :data:`SHORTCUTS` (none when it has no entry)."""
    return key_sequences(SHORTCUTS.get(name, []))


def make_action(
    parent: QObject,
    text: str,
    slot: Callable[..., object] | None = None,
    *,
    name: str = "",
    tip: str = "",
    checkable: bool = False,
    checked: bool = False,
    icon_text: str = "",
) -> QAction:
    """A window action. ``name`` looks its keys up in :data:`SHORTCUTS` and becomes its
    objectName (``action_<name>``), so tests and the Help table can find it."""
    action = QAction(text, parent)
    if name:
        action.setObjectName(f"action_{name}")
        keys = shortcuts_for(name)
        if keys:
            action.setShortcuts(keys)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    if icon_text:
        action.setIconText(icon_text)
    if checkable:
        action.setCheckable(True)
        action.setChecked(checked)
    if slot is not None:
        if checkable:
            action.toggled.connect(lambda on: slot(on))
        else:
            action.triggered.connect(lambda *_: slot())
    # Window-wide shortcuts, also while the focus is in a dock.
    action.setShortcutContext(Qt.WindowShortcut)
    return action
