"""The Paths dock's texts: the header, the truncation note and the details pane (the chosen
path factor by factor, and the fan-outs with the factored form backprop computes there).
Nodes are named by their labels; the details link a fan-out to its node (``node:ID``)."""

from __future__ import annotations

import html

from graphgui.core.autodiff.pathsum import FanOut, PathSum
from graphgui.core.values import format_value

from .paths_table import factor_tips, number, path_text

PRECISION = 4
FAN_OUTS_SHOWN = 60  # fan-outs written out in the details (a tensor graph has many)
NODE_LINK = "node:"


def header_text(result: PathSum) -> str:
    """``df/dx = sum over 4 paths: 12.08 (backward pass: 12.08)``."""
    d = f"d{result.output}/d{result.wrt}"
    p = PRECISION
    grad = format_value(result.gradient, p)
    if result.count == 0:
        return (f"No path leads from {result.wrt} to {result.output}: {d} = 0 "
                f"(backward pass: {grad})")
    paths = "1 path" if result.count == 1 else f"{result.count:,} paths"
    return f"{d} = sum over {paths}: {format_value(result.sum, p)} (backward pass: {grad})"


def header_html(result: PathSum) -> str:
    text = html.escape(header_text(result))
    d = html.escape(f"d{result.output}/d{result.wrt}")
    return text.replace(d, f"<b>{d}</b>", 1)


def truncation_text(result: PathSum) -> str:
    n = len(result.paths)
    return (f"Showing the {n:,} largest of {result.count:,} paths (by the size of their "
            f"product); the {n:,} shown add up to {format_value(result.listed_sum, PRECISION)}.")


def fan_out_text(fan: FanOut) -> str:
    """``b: 2 paths pass it`` and the factored form, as plain text."""
    paths = "1 path passes" if fan.paths_through == 1 else f"{fan.paths_through:,} paths pass"
    return f"{fan.node}: {paths} it\n{fan.factored.replace(' * ', ' × ')}"


def details_html(result: PathSum, row: int | None, muted: str) -> str:
    """The details pane: the path in ``row`` (a sum row: all of them) written out, then
    the fan-outs."""
    parts = [_chosen_html(result, row, muted), _fan_outs_html(result, muted)]
    return "".join(parts)


def _chosen_html(result: PathSum, row: int | None, muted: str) -> str:
    e = html.escape
    n = len(result.paths)
    if row is None or n == 0:
        hint = ("Click a path to draw it on the canvas; hover a factor for its formula."
                if n else "There is no path to show.")
        return f"<p style='color:{muted}'>{e(hint)}</p>"
    if row >= n:
        listed = format_value(result.listed_sum, PRECISION)
        what = "all the paths" if not result.truncated else f"the {n:,} paths listed"
        return (f"<p><b>{e(what.capitalize())}</b> are drawn on the canvas; their products "
                f"add up to {e(listed)}.</p>")
    path = result.paths[row]
    lines = "<br>".join(
        f"<span style='color:{muted}'>{e(wire)}:</span> {e(said)}"
        for wire, said in (tip.split(": ", 1) for _, tip in factor_tips(path, PRECISION))
    )
    product = " × ".join(number(f, PRECISION) for f in path.factors) or "1"
    return (f"<p><b>Path {row + 1} of {result.count:,}</b>: {e(path_text(path))}</p>"
            f"<p>{lines}</p>"
            f"<p>product: {e(product)} = <b>{e(format_value(path.product, PRECISION))}</b></p>")


def _fan_outs_html(result: PathSum, muted: str) -> str:
    e = html.escape
    if not result.fan_outs:
        return (f"<p style='color:{muted}'>No path splits here: each path is one chain of "
                "the chain rule, and the backward pass adds nothing up.</p>")
    items = []
    for fan in result.fan_outs[:FAN_OUTS_SHOWN]:
        paths = ("1 path passes" if fan.paths_through == 1
                 else f"{fan.paths_through:,} paths pass")
        items.append(f"<p><a href='{NODE_LINK}{e(fan.node_id)}'>{e(fan.node)}</a>: "
                     f"{paths} it<br>{e(fan.factored.replace(' * ', ' × '))}</p>")
    more = len(result.fan_outs) - FAN_OUTS_SHOWN
    if more > 0:
        items.append(f"<p style='color:{muted}'>… and {more:,} more.</p>")
    return ("<p><b>Where paths split</b>: the backward pass adds their parts there "
            "(a dot on the node's output port):</p>" + "".join(items))
