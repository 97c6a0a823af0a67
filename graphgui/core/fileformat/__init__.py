"""Graph files: versioned JSON, validated completely before a graph is built.

A file is one JSON object (see docs/file-format.md)::

    {"format": "graphgui", "version": 1, "title": ..., "description": ..., "output": ...,
     "nodes": [...], "edges": [...], "settings": {...}}

Public API:

- :func:`dumps` / :func:`loads`: a Graph to text and back.
- :func:`save` / :func:`load`: the same with a file; ``save`` is atomic (temp file in the same
  folder, fsync, ``os.replace``), so a failed save leaves the old file byte-identical.
- :func:`read_document` / :func:`load_document`: like ``loads``/``load`` but also return the
  file's free-form ``settings`` object, as a :class:`Document`.
- :class:`FileFormatError` (a ValueError): every problem, as one line naming the file, where
  in it and what is wrong.

Loading never executes anything: the text is parsed with :mod:`json` and every field is
checked against the op registry; there is no pickle and no eval. Older versions are upgraded
one version at a time by the functions in :data:`MIGRATIONS`.

Modules: ``schema`` (format, limits, keys, errors, message wording), ``write`` (dumps, save),
``read`` (loads, load, load_document, read_document), ``migrations`` (MIGRATIONS and the
upgrade) and ``validate`` (checks, then builds the Graph). Import from here. A limit is read
where it is used: patch ``read.MAX_FILE_BYTES``, not this package's copy.
"""

from .migrations import MIGRATIONS
from .read import MAX_FILE_BYTES, load, load_document, loads, parse_json, read_document
from .schema import (
    CURRENT_VERSION,
    EDGE_KEYS,
    FORMAT,
    ID_PATTERN,
    MAX_DEPTH,
    MAX_ID_LENGTH,
    MAX_INT_DIGITS,
    MAX_SETTINGS_CHARS,
    NODE_KEYS,
    NONFINITE_TEXT,
    TOP_KEYS,
    Document,
    FileFormatError,
)
from .write import WIDTH, dumps, save, write_atomic

__all__ = [
    "CURRENT_VERSION", "EDGE_KEYS", "FORMAT", "ID_PATTERN", "MAX_DEPTH", "MAX_FILE_BYTES",
    "MAX_ID_LENGTH", "MAX_INT_DIGITS", "MAX_SETTINGS_CHARS", "MIGRATIONS", "NODE_KEYS",
    "NONFINITE_TEXT", "TOP_KEYS", "WIDTH", "Document", "FileFormatError", "dumps", "load",
    "load_document", "loads", "parse_json", "read_document", "save", "write_atomic",
]
