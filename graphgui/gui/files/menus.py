"""The File menu's entries, its toolbar buttons and the Examples submenu.

The window's File menu starts as New, a separator, Quit; :func:`fill_file_menu` puts Open,
Open Recent, Examples, Save, Save As, Revert and Export Image between them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu

from graphgui.core.examples import ExampleInfo, list_examples, list_training_examples

from ..actions import make_action, shortcuts_for

if TYPE_CHECKING:
    from ..shell import Shell

EXERCISE_PREFIX = "exercise_"  # examples that open with the gradients hidden


def is_exercise(name: str) -> bool:
    return name.startswith(EXERCISE_PREFIX)


def _worked() -> list[ExampleInfo]:
    return [i for i in list_examples() if not is_exercise(i.name)]


def _exercises() -> list[ExampleInfo]:
    return [i for i in list_examples() if is_exercise(i.name)]


#: (heading, the examples under it), in menu order. Exercises have their own section, so
#: that their hidden gradients are no surprise.
EXAMPLE_SECTIONS = (
    ("Worked examples", _worked),
    ("Exercises: gradients hidden until you show them", _exercises),
    ("Training (data and settings included)", list_training_examples),
)


@dataclass(frozen=True)
class FileActions:
    open: QAction
    save: QAction
    save_as: QAction
    revert: QAction
    export: QAction


def make_file_actions(
    shell: Shell, *, open: Callable[[], object], save: Callable[[], object],
    save_as: Callable[[], object], revert: Callable[[], object],
    export: Callable[[], object],
) -> FileActions:
    """The file actions (keys from the shortcut table), window-wide."""

    def a(name: str, text: str, slot: Callable[[], object], tip: str,
          icon: str | None = None) -> QAction:
        action = make_action(shell.widget(), text, slot, name=name, tip=tip)
        if icon is not None:
            themed = QIcon.fromTheme(icon)
            if not themed.isNull():
                action.setIcon(themed)
        shell.add_action(action)
        return action

    shell.action("new").setIcon(QIcon.fromTheme("document-new"))
    return FileActions(
        open=a("open", "&Open…", open, "Open a graph file", "document-open"),
        save=a("save", "&Save", save, "Save the graph", "document-save"),
        save_as=a("save_as", "Save &As…", save_as, "Save the graph under a new name",
                  "document-save-as"),
        revert=a("revert", "Re&vert", revert,
                 "Reload the file from disk, dropping unsaved changes", "document-revert"),
        export=a("export_image", "&Export Image…", export,
                 "Write the graph as a PNG or SVG picture"),
    )


def fill_file_menu(shell: Shell, actions: FileActions, recent: QMenu,
                   examples: QMenu) -> None:
    """New | Open, Open Recent, Examples | Save, Save As, Revert | Export Image | Quit."""
    menu = shell.menu("file")
    quit_action = shell.action("quit")
    # Insert after New, keeping the window's separator and Quit at the end.
    quit_separator = _separator_before(menu, quit_action)
    anchor = quit_separator or quit_action
    menu.insertAction(anchor, actions.open)
    menu.insertMenu(anchor, recent)
    menu.insertMenu(anchor, examples)
    menu.insertSeparator(anchor)
    for action in (actions.save, actions.save_as, actions.revert):
        menu.insertAction(anchor, action)
    menu.insertSeparator(anchor)
    menu.insertAction(anchor, actions.export)
    if quit_separator is None:
        menu.insertSeparator(quit_action)
    bar = shell.toolbar("file")
    bar.addAction(actions.open)
    bar.addAction(actions.save)


def examples_menu(parent: QMenu, open_example: Callable[[str], object]
                  ) -> tuple[QMenu, dict[str, QAction]]:
    """File > Examples: one section per kind, an entry per bundled example (its description
    as status tip and wrapped tooltip); choosing one calls ``open_example(name)``. Returns
    the menu and its entries by example name."""
    menu = QMenu("E&xamples", parent)
    menu.setObjectName("menuExamples")
    menu.setToolTipsVisible(True)
    entries: dict[str, QAction] = {}
    for k, (heading, lister) in enumerate(EXAMPLE_SECTIONS):
        if k:
            menu.addSeparator()
        menu_heading(menu, heading)
        for info in lister():
            entries[info.name] = _example_entry(menu, info, open_example)
    return menu, entries


def _example_entry(menu: QMenu, info: ExampleInfo, open_example: Callable[[str], object]
                   ) -> QAction:
    action = menu.addAction(info.title)
    action.setObjectName(f"example_{info.name}")
    action.setData(info.name)
    action.setStatusTip(info.description)
    # Rich text so the long description wraps in the tooltip.
    tip = f"<p><b>{html.escape(info.title)}</b></p><p>{html.escape(info.description)}</p>"
    if is_exercise(info.name):
        keys = shortcuts_for("show_grads")
        key = f" ({keys[0].toString(QKeySequence.NativeText)})" if keys else ""
        tip += ("<p><i>Opens with the gradients hidden: work them out, then show them "
                f"with View › Show Gradients{key}.</i></p>")
    action.setToolTip(tip)
    action.triggered.connect(lambda _c=False, n=info.name: open_example(n))
    return action


def menu_heading(menu: QMenu, text: str) -> QAction:
    """A section heading: a disabled, bold entry (QMenu.addSection shows no text in some
    styles, e.g. Fusion)."""
    action = menu.addAction(text)
    action.setEnabled(False)
    font = action.font()
    font.setBold(True)
    action.setFont(font)
    return action


def _separator_before(menu: QMenu, action: QAction) -> QAction | None:
    actions = menu.actions()
    if action in actions:
        i = actions.index(action)
        if i > 0 and actions[i - 1].isSeparator():
            return actions[i - 1]
    return None
