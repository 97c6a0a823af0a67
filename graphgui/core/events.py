"""A tiny observer: the model announces changes, views subscribe.

Kept Qt-free on purpose so the core can run headless and be tested without a display.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]


class Event:
    """A list of handlers called in subscription order by :meth:`emit`."""

    __slots__ = ("_handlers",)

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> Handler:
        """Call ``handler(*args)`` on every emit; returns it so it can decorate."""
        self._handlers.append(handler)
        return handler

    def unsubscribe(self, handler: Handler) -> None:
        self._handlers.remove(handler)

    def __reduce__(self) -> tuple[type, tuple[()]]:
        # Handlers belong to this process (a window's slots): a copy sent to another
        # process (the landscape worker) starts with none.
        return Event, ()

    def emit(self, *args: Any) -> None:
        # Copy so a handler may unsubscribe itself while being called.
        for handler in list(self._handlers):
            handler(*args)

    def __len__(self) -> int:
        return len(self._handlers)
