"""How error messages show what a user wrote: quoted up to a bounded length, with a
did-you-mean for a near miss. A message stays one short line whatever the input held."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

QUOTE_LIMIT = 40  # characters of a user's value shown in a message
_SUGGEST_LIMIT = 100  # longer words get no suggestion (difflib is quadratic in length)


def shown(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters (``'aaaa...'``), cheap for huge values."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int) and value.bit_length() > 4 * limit:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    if isinstance(value, (list, tuple, dict, set)) and len(value) > limit:
        return f"a {type(value).__name__} of {len(value):,} items"
    if isinstance(value, str) and len(value) > 4 * limit:
        value = value[: 4 * limit]  # repr of the head only; the cut is marked below
        text = repr(value)[:-1]
        return text[: limit - 3] + "..."
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001  (a value whose repr fails is still named)
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(word: Any, choices: Iterable[str], quote: bool = True) -> str:
    """`` (did you mean 'noise'?)`` for a near miss among ``choices``, else ``""``."""
    if not isinstance(word, str) or len(word) > _SUGGEST_LIMIT:
        return ""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    if not close:  # a one-letter name in the wrong case ('X' for 'x') is a near miss too
        close = [c for c in choices if c.lower() == word.lower()][:3]
    if not close:
        return ""
    words = [repr(c) if quote else c for c in close]
    return " (did you mean " + " or ".join(words) + "?)"
