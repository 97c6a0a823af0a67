"""``graphgui landscape``: the loss over a plane through the parameters (a curve over one),
and the optimizers' race over it, as JSON or a PNG.

Everything is checked before the work starts (flags, the optimizers, the graph, the loss and
the plane): a problem is one line with exit status 2. A landscape whose centre, the current
parameters, has a loss that is not finite exits 1, as ``graphgui eval`` does.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

from .cli_common import EXIT_FAILED, EXIT_OK, CliError, load_document


def cmd_landscape(args: argparse.Namespace) -> int:
    from .core.landscape import LandscapeError, LandscapeRequest, parse_optimizers, prepare, run

    if args.out is not None:
        from .core.paths import regular_file_problem

        if not args.out.lower().endswith(".png"):
            raise CliError(f"-o {args.out}: the file name must end in .png")
        problem = regular_file_problem(args.out)
        if problem is not None:
            raise CliError(f"cannot write {args.out}: it {problem}")
    if args.params and args.seed is not None:
        raise CliError("--seed is for --directions random (it seeds the two directions)")
    params = _split_file(args) if args.params else None
    try:
        if params is not None and len(params) > 2:
            raise CliError(f"--params takes one or two parameters, got {len(params)}")
        auto = args.span == "auto"
        request = LandscapeRequest(
            params=params, span=1.0 if auto else args.span, grid=args.grid,
            seed=args.seed or 0, optimizers=parse_optimizers(args.optimizers),
            steps=args.steps, race=args.race, auto_span=auto,
        )
        request.check()
        graph, settings = load_document(args)
        training = (settings or {}).get("training")
        if getattr(args, "sample", None) is not None and isinstance(training, dict):
            # One sample's graph: its loss is that sample's, from the inputs it now holds.
            training = {**training, "dataset": None}
        loss, plane = prepare(graph, training, request)
    except LandscapeError as exc:
        raise CliError(str(exc)) from None
    progress = _ProgressBar() if sys.stderr.isatty() else None
    try:
        landscape = run(loss, plane, request, progress=progress)
    finally:
        if progress:
            progress.finish()
    for name, trajectory in landscape.trajectories.items():
        if trajectory.note:
            print(f"graphgui landscape: warning: {name}: {trajectory.note}", file=sys.stderr)
    bad = int((~_finite(landscape.loss)).sum())
    if bad:
        print(f"graphgui landscape: warning: {bad:,} of {landscape.loss.size:,} grid points "
              "have a loss that is not finite" + (" (null in the JSON)" if args.json else ""),
              file=sys.stderr)
    if args.json:
        print(json.dumps(landscape.to_json()))
    else:
        _write_png(landscape, args.out)
        n = request.grid
        grid = f"{n}x{n} grid" if landscape.dims == 2 else f"{n} points"
        span = f"; span {landscape.span:g} (auto)" if auto else ""
        count = len(landscape.trajectories)
        print(f"wrote {args.out} ({grid} around {landscape.loss_label} = "
              f"{landscape.origin_loss:.4g}; {count} trajector{'y' if count == 1 else 'ies'} "
              f"of {request.steps} steps{span})")
    if not math.isfinite(landscape.origin_loss):
        print(f"graphgui landscape: warning: the loss at the current parameters is "
              f"{landscape.origin_loss}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _split_file(args: argparse.Namespace) -> tuple[str, ...]:
    """The names after --params; a graph file written after them (``--params A B FILE``,
    which --params taking one or two names would swallow) becomes the FILE."""
    names = list(args.params)
    if (len(names) > 1 and args.file is None and args.expr is None and args.example is None
            and (names[-1].lower().endswith(".json") or os.path.isfile(names[-1]))):
        args.file = names.pop()
    return tuple(names)


def _finite(values: Any) -> Any:
    import numpy as np

    return np.isfinite(values)


def _write_png(landscape: Any, path: str) -> None:
    if "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from .gui.panels.landscape.export import export_landscape

    export_landscape(landscape, path)


class _ProgressBar:
    """``landscape [####......] 41%`` on stderr, about ten times a second."""

    def __init__(self) -> None:
        import time

        self.clock = time.perf_counter
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        share = done / max(total, 1)
        bar = "#" * int(20 * share) + "." * (20 - int(20 * share))
        sys.stderr.write(f"\rlandscape [{bar}] {100 * share:.0f}% ")
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
