"""What a node, input or function may be called (one rule for the graph, files and text)."""

from __future__ import annotations

import keyword
import re

from .errors import GraphError

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


def check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or keyword.iskeyword(name) \
            or name.startswith("__"):
        raise GraphError(f"{name!r} is not a valid name (letters, digits and _, max 64)")
