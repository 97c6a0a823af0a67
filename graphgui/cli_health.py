"""``graphgui health``: saturated and dead units, activation and gradient histograms of every
activation node over the batch, and (after ``--train-epochs N``) each parameter's
update-to-data ratio over training (graphgui.core.health, docs/cli.md)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from .cli_common import EXIT_FAILED, EXIT_OK, CliError, load_document, output_id, table

SPARK = " ▁▂▃▄▅▆▇█"  # a histogram in one line: each character one bin pair, height ~ count
SPARK_WIDTH = 20  # characters of a histogram line (40 value bins, 56 gradient bins)


def cmd_health(args: argparse.Namespace) -> int:
    from .core.engine import Program
    from .core.health import network_health, sample_axis_of

    graph, settings = load_document(args)
    history = None
    if args.train_epochs is not None:
        history = _train(graph, settings, args.train_epochs)
    program = Program(graph, output=output_id(graph, args))
    if program.output_id is None:
        raise CliError("the graph is empty: there is no output to evaluate")
    ev = program.evaluate()
    if ev.errors:
        from .core.graph import node_label

        node_id, message = next(iter(ev.errors.items()))
        raise CliError(f"{node_label(graph, node_id)}: {message}")
    layers = network_health(graph, ev.values, ev.grads, sample_axis_of(settings))
    if not layers:
        raise CliError("the graph has no activation node (sigmoid, tanh, relu, leaky_relu, "
                       "softplus, softmax, heaviside) to measure")
    if args.json:
        out: dict[str, Any] = {"activations": [h.to_dict() for h in layers]}
        if history is not None:
            out["update_ratios"] = {
                "epochs": [int(e) for e in history.epochs],
                "parameters": {name: [_number(r) for r in values]
                               for name, values in history.ratios.items()},
            }
        print(json.dumps(out))
    else:
        _print_text(graph, layers, history, args.precision)
    if ev.nonfinite is not None:
        print(f"graphgui health: warning: non-finite value: {ev.nonfinite[1]}",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _train(graph: Any, settings: dict | None, epochs: int) -> Any:
    """Train ``epochs`` epochs with the file's settings, recording the ratios; the trained
    parameters are written into ``graph``. Returns the ratio history."""
    from .core.train import Trainer, TrainingError, TrainSettings, apply_parameters

    stored = (settings or {}).get("training")
    if not isinstance(stored, dict) or not stored.get("dataset"):
        raise CliError("--train-epochs needs the graph's training settings with a data set "
                       "(settings.training, see docs/training.md)")
    try:
        training = TrainSettings.from_dict({**stored, "epochs": epochs})
        trainer = Trainer.from_settings(graph, training)
        log = trainer.record_update_ratios()
        trainer.run()
    except TrainingError as exc:
        raise CliError(str(exc)) from None
    apply_parameters(graph, trainer.parameters())
    return log.snapshot()


def _print_text(graph: Any, layers: list[Any], history: Any, precision: int) -> None:
    from .core.health import DYING, GRAD_DECADES, SIGMOID_HIGH, SIGMOID_LOW, TANH_SATURATED

    if graph.title:
        print(graph.title)
    samples = sorted({h.samples for h in layers})
    batch = "the batch"
    if len(samples) == 1:
        batch = f"{samples[0]:,} sample{'s' if samples[0] != 1 else ''}"
    print(f"{len(layers)} activation{'s' if len(layers) != 1 else ''} over {batch}; "
          f"saturated: |tanh| > {TANH_SATURATED:g}, sigmoid < {SIGMOID_LOW:g} or > "
          f"{SIGMOID_HIGH:g};\ndead: a ReLU unit never > 0 over the batch\n")
    p = max(2, min(precision, 6))
    rows = [("layer", "op", "units", "saturated", "dead", "mean", "std", "grad std")]
    for h in layers:
        rows.append((h.name, h.op, str(h.units), _share(h.saturated), _dead(h),
                     f"{h.mean:.{p}g}", f"{h.std:.{p}g}",
                     "-" if h.grad_std is None else f"{h.grad_std:.{p}g}"))
    print(table(rows))
    if outputs := [h.name for h in layers if h.at_output and h.saturated is not None]:
        print(f"{', '.join(outputs)}: the output (feeds the loss), where saturation is "
              "expected (a confident prediction)")
    low, high = GRAD_DECADES
    print(f"\nhistograms: values over each op's range; |grad| in decades from "
          f"1e{low:+03.0f} to 1e{high:+03.0f}; exact zeros apart (= 0)")
    rows = [("layer", "values", "range", "= 0", "|grad|", "= 0")]
    for h in layers:
        grads = h.grad_magnitudes
        rows.append((h.name, sparkline(h.values.counts), _range(h.values.edges),
                     _zeros(h.values) if h.op in DYING else "",
                     sparkline(grads.counts) if grads is not None else "-",
                     _zeros(grads) if grads is not None else "-"))
    print(table(rows))
    if sampled := [h.name for h in layers if h.sampled]:
        print(f"\n{', '.join(sampled)}: read on an evenly spaced sample of the batch")
    if history is not None:
        _print_ratios(history, p)


def _print_ratios(history: Any, p: int) -> None:
    if not len(history.epochs):
        print("\nno epoch trained: no update-to-data ratio")
        return
    last = int(history.epochs[-1])
    print(f"\nupdate-to-data ratio std(update) / std(W) at epoch {last} (about 1e-3 is "
          "healthy)")
    rows = [("parameter", "ratio", "log10", "median log10")]
    for name, values in history.ratios.items():
        finite = [math.log10(v) for v in values if math.isfinite(v) and v > 0]
        ratio = float(values[-1])
        ok = math.isfinite(ratio) and ratio > 0
        rows.append((name, f"{ratio:.{p}g}" if ok else "-",
                     f"{math.log10(ratio):.2f}" if ok else "-",
                     f"{sorted(finite)[len(finite) // 2]:.2f}" if finite else "-"))
    print(table(rows))


def sparkline(counts: Any, width: int = SPARK_WIDTH) -> str:
    """``counts`` as ``width`` block characters (bins added in groups), the tallest full."""
    values = [int(c) for c in counts]
    group = max(1, math.ceil(len(values) / width))
    sums = [sum(values[k:k + group]) for k in range(0, len(values), group)]
    top = max(sums, default=0)
    if top == 0:
        return SPARK[0] * len(sums)
    steps = len(SPARK) - 1
    return "".join(SPARK[math.ceil(s / top * steps)] for s in sums)


def _share(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _dead(h: Any) -> str:
    return "-" if h.dead is None else f"{100 * h.dead:.0f}% ({h.dead_units} of {h.units})"


def _zeros(histogram: Any) -> str:
    return f"{histogram.zeros / histogram.total:.0%}" if histogram.total else "-"


def _range(edges: Any) -> str:
    return f"[{float(edges[0]):g}, {float(edges[-1]):g}]"


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None
