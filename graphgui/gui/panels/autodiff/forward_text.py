"""The Forward Mode dock's texts (HTML and plain strings, no widgets): the tangent lines up
to the current step, the position line, and what forward and reverse mode cost.

Every text names nodes by their labels (core's ``explain_tangents`` and ``autodiff_cost``
already do); numbers are written by core's ``format_value``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from graphgui.core.autodiff.cost import AutodiffCost
from graphgui.core.autodiff.tangent_text import TangentLine
from graphgui.core.values import format_value

COST_HEADERS = ("Input", "Passes", "Per pass", "Total")  # short: the box is narrow on a laptop
COST_TIPS = (
    "An input or parameter of the graph",
    "Forward-mode passes it needs: one per element",
    "Multiply-adds of one forward-mode pass from it (every derivative rule it reaches)",
    "Multiply-adds of all its passes",
)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 'es' if word.endswith('s') else 's'}"


def position_text(lines: Sequence[TangentLine] | None, position: int, wrt: str) -> str:
    """The head line: ``Ready · 3 steps from x``, ``Step 2 of 3 · dq/dx``."""
    if not wrt:
        return "Forward mode"
    if not lines:
        return f"Ready · tangents d/d{wrt}"
    n = len(lines)
    if position == 0:
        return f"Ready · {plural(n, 'step')} from {wrt}"
    line = lines[position - 1]
    done = " · complete" if position == n else ""
    return f"Step {position} of {n} · {line.tangent_name}{done}"


def steps_html(lines: Sequence[TangentLine] | None, position: int, wrt: str,
               keys: str = "") -> str:
    """The text box: before the first step what forward mode does; then every line taken
    so far, the current one last, in bold, its result in the tangent colour."""
    if not wrt:
        return ("<p class='muted'>Pick an input to follow, then step through forward mode: "
                "each node's tangent d(node)/d(input) is the sum over its inputs of the "
                "local derivative times that input's tangent.</p>")
    w = html.escape(wrt)
    rule = ("<p class='muted'>Each tangent is the sum over the node's inputs of its local "
            f"derivative times that input's tangent (0 for an input that does not depend on "
            f"{w}).</p>" + (f"<p class='muted'>{html.escape(keys)}</p>" if keys else ""))
    if not lines or position == 0:
        steps = f"{plural(len(lines), 'step')}, one per node that depends on it" if lines \
            else "one step per node that depends on it"
        return (f"<p>Forward mode pushes the tangent d/d{w} from {w} through the graph in "
                f"evaluation order: {steps}. Show Tangents writes every node's tangent on "
                "its wires, under its value.</p>" + rule)
    parts = []
    for k, line in enumerate(lines[:position], 1):
        main, _, note = line.text.partition("   ")
        note_html = f" <span class='muted'>{html.escape(note.strip())}</span>" if note else ""
        if k < position:
            parts.append(f"<p class='eq muted'>{k}. {html.escape(main)}{note_html}</p>")
        else:
            parts.append(f"<p class='eq current'><b>{k}. {_result_marked(main)}</b>"
                         f"{note_html}</p>")
    return "".join(parts)


def _result_marked(text: str) -> str:
    head, sep, last = text.rpartition(" = ")
    if not sep:
        return html.escape(text)
    return f"{html.escape(head)} = <span class='tangent'>{html.escape(last)}</span>"


def cost_html(cost: AutodiffCost) -> str:
    """Forward against reverse mode for all the gradients of the output, in three lines."""
    f, r = cost.forward, cost.reverse
    ratio = cost.ratio
    out = html.escape(cost.output)
    if math.isnan(ratio):
        compare = "Neither mode has work to do: no input or parameter reaches the output."
    else:
        compare = (f"Forward mode does <b>{format_value(ratio, 3)}×</b> the work of reverse "
                   f"mode for all the gradients of {out}.")
    nb = "\u00a0"  # a number stays with its unit when the line wraps
    return (
        f"<b>Forward mode</b>: {plural(f.passes, 'pass').replace(' ', nb)} (one per input "
        f"element), {f.multiply_adds:,}{nb}multiply-adds<br>"
        f"<b>Reverse mode</b>: {plural(r.passes, 'pass').replace(' ', nb)} (one per output "
        f"element), {r.multiply_adds:,}{nb}multiply-adds<br>{compare}"
    )


def cost_rows(cost: AutodiffCost) -> list[tuple[str, str, str, str]]:
    """One row per input or parameter: its passes, the work of one, of all of them."""
    return [(s.name, f"{s.elements:,}", f"{s.multiply_adds:,}",
             f"{s.elements * s.multiply_adds:,}") for s in cost.sources]
