"""Older files: check the format and version, and upgrade a document one version at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .schema import CURRENT_VERSION, FORMAT, _Invalid, _kind, _short

# MIGRATIONS[v] turns a version-v document (a dict) into a version v+1 document. Loading an
# old file runs them one after another up to CURRENT_VERSION; each one only rewrites data,
# the result is validated like any current file.


def _from_1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 adds "functions", "groups" and a node's "group"; a version-1 file has none,
    so it reads as it is."""
    for key in ("functions", "groups"):
        if key in data:
            raise _Invalid(key, "is new in version 2, but the file says version 1")
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_1}


def _upgrade(data: Any) -> dict[str, Any]:
    """Check format and version, and migrate an older document to CURRENT_VERSION."""
    if not isinstance(data, dict):
        raise _Invalid(None, f"expected a JSON object at the top level, not {_kind(data)}")
    if "format" not in data:
        raise _Invalid(None, f'not a graphgui file (no "format": "{FORMAT}")')
    if data["format"] != FORMAT:
        raise _Invalid("format", f"is {_short(repr(data['format']))}, expected {FORMAT!r}")
    version = data.get("version")
    if "version" not in data:
        raise _Invalid(None, 'no "version"')
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Invalid("version", f"must be an integer, not {_kind(version)}")
    if version > CURRENT_VERSION:
        raise _Invalid(
            None,
            f"was written by a newer graphgui (version {version}); "
            f"this one reads up to {CURRENT_VERSION}",
        )
    while version < CURRENT_VERSION:
        migrate = MIGRATIONS.get(version)
        if migrate is None:
            raise _Invalid("version", f"{version} is older than any version this graphgui reads")
        try:
            data = migrate(dict(data))
        except _Invalid:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise _Invalid(
                None, f"cannot upgrade from version {version}: {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(data, dict):
            raise _Invalid(None, f"the migration from version {version} did not give an object")
        version += 1
        data["version"] = version
    return data
