"""The step text: what the dock's text box says at each position (HTML, no widgets).

Every function here reads a core :class:`~graphgui.core.stepper.Stepper` and returns the
HTML the panel shows; none keeps state. Hidden gradients (View > Show Gradients off, an open
exercise) never reach the text: the backward pass is then written with ``?`` where the
numbers would be, with the formulas and a line on how to show them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from graphgui.core.explain import StepExplanation, symbol
from graphgui.core.stepper import Position, Stepper
from graphgui.core.values import format_value

INSIDE = re.compile(r" \((\d+) steps? inside\)")
EMPTY_HINT = (
    "Nothing to step through yet. Type an expression in the bar above the canvas, e.g. "
    "f = (x + y) * z, or drag an op from the palette onto the canvas."
)


@dataclass(frozen=True)
class Shown:
    """What the dock may show of the current position (one per render, for every tab)."""

    quiz: bool = False  # quiz mode: the step ahead is a question, the log is closed
    grads_hidden: bool = False  # hidden by the view or an exercise: numbers become "?"
    reveal: str = ""  # how to show them, e.g. "View > Show Gradients (Ctrl+2)"
    precision: int = 4

    @property
    def hidden_note(self) -> str:
        return f"The gradients are hidden: show them with {self.reveal}."


def step_html(st: Stepper | None, shown: Shown, *, error: str | None, empty: bool,
              keys: str, lead: str = "") -> str:
    """The text box at the current position. ``lead`` is a note on how the last move got
    here (e.g. the forward pass finished by a Backward press), shown above the step."""
    if error is not None and empty:
        return (f"<p>{html.escape(EMPTY_HINT)}</p><p class='muted'>Then step through the "
                f"passes: {keys}</p>")
    if error is not None:
        return "<p class='muted'>Fix the graph and the stepper is ready again.</p>"
    if st is None or st.position == Position():
        ready = (st.current_text() if st is not None
                 else "Ready to step through the passes of this graph.")
        return f"<p>{html.escape(ready)}</p><p class='muted'>{keys}</p>"
    head = f"<p class='muted'><i>{html.escape(lead)}</i></p>" if lead else ""
    if shown.quiz and st.forward_done:
        return head + quiz_html(st)
    if st.current_function() is not None:
        return head + function_html(st, shown)
    if st.phase == "forward":
        line = st.forward_lines[st.position.forward - 1]
        title = symbol(st.program, line.node_id)
        return (head + f"<p class='muted'>Forward pass · computing {html.escape(title)}</p>"
                f"<p class='eq'>{result_bold(line.text, 'value')}</p>")
    ex = st.backward_steps[st.position.backward - 1]
    if shown.grads_hidden:
        return head + hidden_backward_html(st, ex, shown)
    return head + backward_html(ex)


def function_html(st: Stepper, shown: Shown) -> str:
    """A closed function taken as one step: the call with its numbers forward; backward, its
    upstream gradients and each input's contribution, with the local gradients worked out
    from its inside (core/functions/stepping.py)."""
    group = st.current_function()
    assert group is not None
    first, *rest = st.current_text().split("\n")
    inside = INSIDE.search(first)
    first = INSIDE.sub("", first)
    n = int(inside.group(1)) if inside else 0
    count = f"{n} step{'s' * (n != 1)} inside; " if inside else ""
    into = f"{count}Step Into Function (Alt+F10) before it to take them one by one"
    if st.phase == "forward":
        return (f"<p class='muted'>Forward pass · function {html.escape(group.name)}, one "
                f"step</p><p class='eq'>{result_bold(first, 'value')}</p>"
                f"<p class='muted'>{into}.</p>")
    call = first.split(": ", 1)[0]
    parts = [f"<p class='muted'>Backward pass · function {html.escape(group.name)}, one "
             "step: its local gradients come from its inside</p>",
             f"<p class='eq'><b>{html.escape(call)}</b>"]
    if shown.grads_hidden:
        parts.append("</p>" f"<p class='muted'>{html.escape(shown.hidden_note)}</p>")
        return "".join(parts)
    upstream = first.split(": ", 1)[1] if ": " in first else ""
    parts.append(f"<br>{html.escape(upstream)}</p>")
    for line in rest:
        line = line.strip()
        main, *notes = [s.strip() for s in line.split("   ") if s.strip()] or [""]
        parts.append(f"<p class='eq'>{result_bold(main, 'grad')}")
        for note in notes:
            parts.append(f"<br><span class='muted'>&nbsp;&nbsp;{html.escape(note)}</span>")
        parts.append("</p>")
    parts.append(f"<p class='muted'>{into}.</p>")
    return "".join(parts)


def backward_html(ex: StepExplanation) -> str:
    """One backward step with its numbers: the upstream gradient, then one chain-rule term
    per input (its notes muted on their own lines)."""
    parts = []
    head, _, upstream = ex.heading.partition(": ")
    if not ex.terms:  # a source: its gradient is complete
        parts.append(f"<p class='muted'>Backward pass · {html.escape(head)}</p>")
        parts.append(f"<p class='eq'>{result_bold(upstream, 'grad')}</p>")
    else:
        parts.append("<p class='muted'>Backward pass · chain rule at this node</p>")
        parts.append(f"<p class='eq'><b>{html.escape(head)}</b><br>"
                     f"{result_bold(upstream, 'grad')}</p>")
    if " + " in upstream.split(" = ", 1)[-1]:
        n = upstream.count(" + ") + 1
        parts.append(f"<p class='muted'>Σ the {n} contributions that reached "
                     f"{html.escape(head.split(' ', 1)[0])} are summed.</p>")
    for term in ex.terms:
        main, *notes = [s.strip() for s in term.text.split("   ") if s.strip()]
        parts.append(f"<p class='eq'>{result_bold(main, 'grad')}")
        for note in notes:
            parts.append(f"<br><span class='muted'>&nbsp;&nbsp;{html.escape(note)}</span>")
        parts.append("</p>")
    return "".join(parts)


def hidden_backward_html(st: Stepper, ex: StepExplanation, shown: Shown) -> str:
    """One backward step with its gradients hidden: the chain rule as formulas, ``?`` for
    every gradient, and how to show them (a worksheet for the step, not the answers)."""
    me = symbol(st.program, ex.node_id)
    upstream = f"d{st.output_symbol}/d{me}"
    note = f"<p class='muted'>{html.escape(shown.hidden_note)}</p>"
    if not ex.terms:
        return (f"<p class='muted'>Backward pass · {html.escape(me)}: gradient complete</p>"
                f"<p class='eq'>{html.escape(upstream)} = <b>?</b></p>" + note)
    head = ex.heading.partition(": ")[0]  # "mul5 = w5 * A1"
    parts = ["<p class='muted'>Backward pass · chain rule at this node</p>",
             f"<p class='eq'><b>{html.escape(head)}</b><br>upstream {html.escape(upstream)} = "
             "<b>?</b></p>"]
    for t in ex.terms:
        parts.append(f"<p class='eq'>{html.escape(t.gradient)} = {html.escape(t.upstream)} * "
                     f"{html.escape(t.local)} = <b>?</b><br><span class='muted'>&nbsp;&nbsp;"
                     f"[{html.escape(t.local)} = {html.escape(t.local_formula)}]</span></p>")
    return "".join(parts) + note


def quiz_html(st: Stepper) -> str:
    """The question ahead in quiz mode: the known upstream gradient and ``?`` to work out."""
    terms = st.quiz_terms()
    if not terms:
        if st.finished:
            return "<p>The backward pass is complete. Well done!</p>"
        nxt = st.backward_steps[st.position.backward] if st.forward_done else None
        if nxt is not None and not nxt.terms:
            name = nxt.heading.split(":", 1)[0]
            return (f"<p>Next: {html.escape(name)} has all its contributions; no question "
                    "here. Press Backward step.</p>")
        return "<p>Press Backward step to start the backward pass.</p>"
    ex = st.backward_steps[st.position.backward]
    head = ex.heading.split(": ", 1)[0]
    upstream = terms[0].upstream
    value = format_value(terms[0].upstream_value, st.precision)
    rows = "".join(
        f"<br>{html.escape(t.gradient)} = {html.escape(t.upstream)} * "
        f"{html.escape(t.local)} = <b>?</b>"
        for t in terms
    )
    return (f"<p class='muted'>Quiz · backward step {ex.number} of "
            f"{len(st.backward_steps)}</p><p class='eq'><b>{html.escape(head)}</b><br>"
            f"{html.escape(upstream)} = {html.escape(value)} (known)"
            f"{rows}</p><p class='muted'>Type your answers in the Quiz tab.</p>")


def position_text(st: Stepper | None, *, error: str | None, empty: bool, question: bool
                  ) -> str:
    """The head line: where the stepper is (``question``: the quiz asks about the step
    ahead, so its number is the one said)."""
    if error is not None:
        return "Empty graph" if empty else "Cannot step"
    if st is None:
        return "Ready"
    p = st.position
    done, total = st.step_numbers()  # a function stepped over is one step
    if question:
        where = f"Question: backward step {p.backward + 1} of {len(st.backward_steps)}"
    elif p.backward:
        where = f"Backward step {done} of {total}"
    elif p.forward:
        where = f"Forward step {done} of {total}"
    else:
        where = "Ready"
    inner = st.inner_step() if not question else None
    if inner is not None and (p.backward or p.forward):
        where += f" · inside {st.inside().name}: {inner[0]} of {inner[1]}"
    return where + (" · gradients complete" if st.finished else "")


def dock_message(*, error: str | None, warning: str | None, notice: str, exercise: str,
                 stepping: bool, reveal_key: str) -> tuple[str, str]:
    """(kind, text) of the dock's message line, the most urgent first: the graph cannot be
    stepped through, a nan or inf was reached, a notice of the panel's own (a reset, an
    applied update), the open exercise (in full before the first step, then short: the
    backward text says how to show the gradients, and the step keeps its room)."""
    if error is not None:
        return "error", f"This graph cannot be stepped through: {error}"
    if warning is not None:
        return "warning", warning
    if notice:
        return "info", notice
    if exercise:
        return "info", exercise if not stepping else \
            f"Exercise: the gradients stay hidden until you show them ({reveal_key})."
    return "", ""


def nonfinite_warning(st: Stepper) -> str | None:
    """The node that first gave nan or inf, once it has been computed, e.g.
    "f = ln(-1) is nan: the gradients below it are not meaningful"."""
    if st.nonfinite is None:
        return None
    nid, message = st.nonfinite
    if nid not in st.visible_values():
        return None
    what = message
    line = next((ln for ln in st.forward_lines if ln.node_id == nid), None)
    if line is not None:
        parts = line.text.split(" = ")
        if len(parts) >= 3:
            what = f"{symbol(st.program, nid)} = {parts[-2]} is {parts[-1]}"
    return (f"{what}: the gradients below it are not meaningful (fix the input values that "
            "lead to it).")


def result_bold(text: str, kind: str) -> str:
    """An equation with its final number in bold, coloured as a value or a gradient."""
    head, sep, last = text.rpartition(" = ")
    if not sep:
        return html.escape(text)
    return f"{html.escape(head)} = <b class='{kind}'>{html.escape(last)}</b>"
