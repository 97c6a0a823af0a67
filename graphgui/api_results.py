"""What the notebook API's methods return: small records that print as the command line does.

:class:`Result` (``GraphHandle.evaluate``), :class:`GradientChecks` of :class:`CheckRecord`
(``GraphHandle.check``) and :class:`Steps` of :class:`BackwardStep` (``GraphHandle.steps``).
Each keeps the numbers as values (floats and NumPy arrays) and has a ``__repr__`` that reads
like ``graphgui eval``, ``check`` and ``step`` (without their blank lines, so a doctest
needs no ``<BLANKLINE>``): a notebook cell that ends with one shows the table. Only the
standard library and graphgui.core are imported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from .cli_common import table
from .core.values import Value, format_value

MAX_ROWS = 40  # rows a repr shows; the dicts and lists always hold everything


@dataclass(frozen=True, eq=False, repr=False)
class Result:
    """One forward and backward pass.

    ``output`` is the label of the node differentiated and ``value`` its value. ``values``
    and ``grads`` hold every node, keyed by its label (a named node's name, else what the
    canvas calls it: ``add``, ``mul2``), in evaluation order. ``grads[label]`` is
    d(output)/d(node): 0 (of the node's shape) for a node the output does not depend on, and
    None for one no gradient is computed for (constants, and nodes only constants feed).
    ``nonfinite`` says which node first gave nan or inf, else None.
    """

    output: str
    value: Value
    values: dict[str, Value]
    grads: dict[str, Value | None]
    ops: dict[str, str] = field(default_factory=dict)
    nonfinite: str | None = None

    def __repr__(self) -> str:
        out = self.output
        lines = [f"{out} = {format_value(self.value)}"]
        if self.nonfinite:
            lines.append(f"warning: non-finite value: {self.nonfinite}")
        rows = [("name", "op", "value", f"d{out}/d(name)")]
        for label in list(self.values)[:MAX_ROWS]:
            rows.append((
                label, self.ops.get(label, ""), format_value(self.values[label]),
                format_value(self.grads.get(label)),
            ))
        lines.append(table(rows))
        lines += _more(len(self.values), "nodes")
        return "\n".join(lines)


@dataclass(frozen=True, eq=False, repr=False)
class CheckRecord:
    """The finite-difference check of one input or parameter (see core.gradcheck.GradCheck).

    ``autodiff`` and ``numeric`` have the node's shape, or are 1-d samples of ``checked`` of
    its ``elements`` for a large array.
    """

    name: str
    autodiff: Value
    numeric: Value
    abs_error: float
    rel_error: float
    passed: bool
    checked: int = 1
    elements: int = 1

    def __repr__(self) -> str:
        verdict = "ok" if self.passed else "FAIL"
        sample = "" if self.checked == self.elements else (
            f", {self.checked:,} of {self.elements:,} elements"
        )
        return (
            f"CheckRecord({self.name}: autodiff {format_value(self.autodiff, 6)}, "
            f"numeric {format_value(self.numeric, 6)}, rel error {self.rel_error:.1e}"
            f"{sample}, {verdict})"
        )


class GradientChecks(Sequence[CheckRecord]):
    """Every input's and parameter's check, in evaluation order; ``passed`` when all pass.

    A sequence of :class:`CheckRecord`; its repr is the table ``graphgui check`` prints.
    """

    def __init__(self, output: str, records: list[CheckRecord], step: float) -> None:
        self.output = output
        self.records = list(records)
        self.step = step

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.records)

    @property
    def failed(self) -> list[str]:
        """The names whose gradients do not match."""
        return [r.name for r in self.records if not r.passed]

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, index: int) -> CheckRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[CheckRecord]: ...

    def __getitem__(self, index: int | slice) -> CheckRecord | list[CheckRecord]:
        return self.records[index]

    def __iter__(self) -> Iterator[CheckRecord]:
        return iter(self.records)

    def __repr__(self) -> str:
        rows = [("name", "autodiff", "numeric", "rel error", "")]
        for r in self.records[:MAX_ROWS]:
            rows.append((
                r.name, format_value(r.autodiff, 6), format_value(r.numeric, 6),
                f"{r.rel_error:.1e}", "ok" if r.passed else "FAIL",
            ))
        failed = self.failed
        summary = (
            f"{len(self) - len(failed)} of {len(self)} gradients of {self.output} match "
            f"central differences (h = {self.step:g})"
            + (f"; failed: {', '.join(failed)}" if failed else "")
        )
        return "\n".join([table(rows), *_more(len(self), "checks"), summary])


@dataclass(frozen=True, repr=False)
class BackwardStep:
    """One node of the backward pass: ``heading`` (``f = add * z: upstream df/df = 1``) and
    one line per input it sends a gradient to (``df/dz = df/df * df/dz = 1 * 3 = 3``)."""

    number: int
    node: str
    heading: str
    terms: tuple[str, ...]

    @property
    def lines(self) -> list[str]:
        return [self.heading, *self.terms]

    def __str__(self) -> str:
        return "\n".join([f"{self.number}. {self.heading}", *(f"   {t}" for t in self.terms)])

    def __repr__(self) -> str:
        return f"BackwardStep({self.number}, {self.heading!r}, {len(self.terms)} terms)"


@dataclass(frozen=True, repr=False)
class Steps:
    """The chain rule in words and numbers, as ``graphgui step`` prints it: ``forward`` holds
    one line per computed node, ``backward`` one :class:`BackwardStep` per visited node."""

    output: str
    forward: list[str]
    backward: list[BackwardStep]

    def __repr__(self) -> str:
        lines = ["Forward pass"]
        lines += [f"  {k:>3}. {text}" for k, text in enumerate(self.forward, 1)]
        lines.append("Backward pass")
        for step in self.backward:
            lines.append(f"  {step.number:>3}. {step.heading}")
            lines += [f"       {term}" for term in step.terms]
        return "\n".join(lines)


def _more(count: int, what: str) -> list[str]:
    return [f"... and {count - MAX_ROWS} more {what}"] if count > MAX_ROWS else []
