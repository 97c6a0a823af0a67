"""Wire labels hang from a few parent items instead of being one top-level item each.

On every frame Qt visits each top-level item of the scene to find what changed: 17,000 at
5,000 nodes (a node, a wire and a label each), and in perf those visits were a fifth of a
drag move there, more when other work on the machine competes for memory. Labels, all at
one depth above the nodes, hang from parents of GROUP_SIZE each instead, in the order they
were made, so they are drawn in the order they were before. A parent draws nothing, and goes
when its last label does. (Labels answer their bounding rect in C++, labels.WireLabel: Qt
asks every child of a parent it draws.)
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsItem

GROUP_SIZE = 64


class LabelGroup(QGraphicsItem):
    """The parent of up to GROUP_SIZE labels; draws nothing."""

    def __init__(self, z: float) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.ItemHasNoContents, True)
        self.setZValue(z)
        self.made = 0  # labels given to it (a new label goes to the newest group)
        self.live = 0  # of them still in the scene

    def boundingRect(self) -> QRectF:
        return QRectF()

    def paint(self, *args: Any) -> None:
        pass


class LabelGroups:
    """Hands each new label to the newest group; drops groups left empty."""

    def __init__(self, scene: Any, z: float) -> None:
        self.scene = scene
        self.z = z
        self._newest: LabelGroup | None = None

    def add(self, label: QGraphicsItem) -> None:
        group = self._newest
        if group is None or group.made >= GROUP_SIZE:
            group = self._newest = LabelGroup(self.z)
            self.scene.addItem(group)
        group.made += 1
        group.live += 1
        label.setParentItem(group)  # and so into the scene

    def remove(self, label: QGraphicsItem) -> None:
        group = label.parentItem()
        self.scene.removeItem(label)
        if isinstance(group, LabelGroup):
            group.live -= 1
            if group.live == 0 and group is not self._newest:
                self.scene.removeItem(group)

    def clear(self) -> None:
        """The scene is about to drop every item."""
        self._newest = None
