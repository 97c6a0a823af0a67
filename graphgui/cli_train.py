"""``graphgui train``: settings from the file, flags over them, everything checked before the
first epoch (a bad setting or graph exits 2, as every user error); a loss that becomes
non-finite while training exits 1."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .cli_common import EXIT_FAILED, EXIT_OK, CliError, load_document, parse_json_flag


def cmd_train(args: argparse.Namespace) -> int:
    from .core import fileformat
    from .core.train import TrainingError, TrainSettings, apply_parameters, train_graph
    from .core.train.trainer import Trainer

    dataset = _dataset_spec(args.dataset) if args.dataset else None  # before loading
    graph, file_settings = load_document(args)
    stored = (file_settings or {}).get("training")
    if stored is not None and not isinstance(stored, dict):
        raise CliError(
            f"settings.training must be an object, not {_kind(stored)} (see docs/training.md)"
        )
    settings = dict(stored or {})
    overrides = {
        "epochs": args.epochs,
        "lr": args.lr,
        "optimizer": args.optimizer,
        "batch_size": args.batch_size,
        "l2": args.l2,
        "seed": args.seed,
        "dtype": args.dtype,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if args.full_batch:
        settings["batch_size"] = None
    if dataset is not None:
        settings["dataset"] = dataset
    if not settings.get("dataset"):
        raise CliError(
            "the graph has no data set: give --dataset KIND (moons, circles, xor, "
            "blobs, sin, ising) or a JSON spec"
        )
    try:
        training = TrainSettings.from_dict(settings)
        trainer = Trainer.from_settings(graph, training)  # the data set, the graph, batch 1
    except TrainingError as exc:
        raise CliError(str(exc)) from None
    progress = _ProgressBar(training.epochs) if sys.stderr.isatty() else None
    try:
        report = train_graph(graph, training, progress=progress, trainer=trainer)
    except TrainingError as exc:
        if progress:
            progress.finish()
        print(f"graphgui train: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if progress:
        progress.finish()
    if args.out:
        apply_parameters(graph, report.parameters)
        fileformat.save(
            graph, args.out, settings={**(file_settings or {}), "training": training.to_dict()}
        )
    if args.json:
        print(json.dumps(report.to_dict()))
        return EXIT_OK
    print(f"trained {report.epochs} epochs in {report.seconds:.2f} s")
    print(f"final loss       {report.final_loss:.4f}")
    if report.train_accuracy is not None:
        print(f"train accuracy   {100 * report.train_accuracy:.1f}%")
    if report.test_accuracy is not None:
        print(f"test accuracy    {100 * report.test_accuracy:.1f}%")
    if args.out:
        print(f"wrote {args.out}")
    return EXIT_OK


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else type(value).__name__


def _dataset_spec(text: str) -> dict:
    """``--dataset``: a kind or a JSON object, checked now (unknown kinds and keys, ranges)."""
    from .core.datasets import DatasetError, validate_spec

    if text.lstrip().startswith("{"):
        spec = parse_json_flag("--dataset", text)
        if not isinstance(spec, dict):
            raise CliError("--dataset: a JSON spec must be an object")
    else:
        spec = {"kind": text}
    try:
        validate_spec(spec)
    except DatasetError as exc:
        raise CliError(f"--dataset: {str(exc).removeprefix('dataset spec: ')}") from None
    return spec


class _ProgressBar:
    """``epoch 120/10000 [####......] loss 0.4123  ETA 3 s`` on stderr, ~10 times a second."""

    def __init__(self, total: int) -> None:
        import time

        self.total = max(total, 1)
        self.clock = time.perf_counter
        self.start = self.last = self.clock()

    def __call__(self, result: Any) -> None:
        now = self.clock()
        if now - self.last < 0.1 and result.epoch < self.total:
            return
        self.last = now
        done = result.epoch / self.total
        eta = (now - self.start) * (1 - done) / done if done else 0.0
        bar = "#" * int(20 * done) + "." * (20 - int(20 * done))
        sys.stderr.write(
            f"\repoch {result.epoch}/{self.total} [{bar}] "
            f"loss {result.train_loss:.4f}  ETA {eta:.0f} s "
        )
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
