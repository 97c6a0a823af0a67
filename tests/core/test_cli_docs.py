"""The terminal sessions docs/cli.md shows are what the commands print: every block that
starts with ``$ graphgui`` and builds its graph from ``--expr`` or ``--example`` is run (in
a scratch folder, command after command), and each output compared line by line. A line
``...`` stands for any lines; ``...`` inside a line for any text."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from graphgui.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
BLOCKS = [
    block for block in re.findall(r"```\n(\$ graphgui .*?)```", DOC.read_text(), re.S)
    if "--expr" in block.splitlines()[0] or "--example" in block.splitlines()[0]
]


def sessions(block: str) -> list[tuple[str, list[str]]]:
    """(command, expected lines) for each ``$`` line of a block."""
    found: list[tuple[str, list[str]]] = []
    for line in block.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            found.append((line[2:], []))
        else:
            found[-1][1].append(line)
    return found


def line_matches(expected: str, got: str) -> bool:
    if "..." not in expected:
        return expected == got
    return re.fullmatch(".*".join(map(re.escape, expected.split("..."))), got) is not None


def matches(expected: list[str], got: list[str]) -> bool:
    """Line by line, a line ``...`` matching any run of lines (also none)."""
    if not expected:
        return not got
    if expected[0].strip() == "...":
        return any(matches(expected[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and line_matches(expected[0], got[0]) and matches(expected[1:], got[1:])


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.splitlines()[0][2:60])
def test_documented_session_is_what_the_command_prints(block, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command, expected in sessions(block):
        main(shlex.split(command)[1:])
        got = capsys.readouterr().out.rstrip("\n").split("\n")
        assert matches(expected, got), f"{command}\n" + "\n".join(got)
