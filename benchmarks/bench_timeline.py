"""What recording a training timeline costs: the moons network (10,000 epochs) trained with
and without a Timeline recording it as the editor's worker does (a copy of the parameters
only for the epochs it keeps), against the notebook's hand-written NumPy loop in the same
run. Also: how many moments it keeps, in how many bytes.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_timeline.py [--epochs N] [--quick]

Then, in the editor offscreen: how long one move of the timeline's slider and one click on
a training point (one sample's graph) hold the event loop (target: under 50 ms).
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import table, write_results
from bench_train import run_notebook

from graphgui.core.examples import load_example_document
from graphgui.core.train import Trainer
from graphgui.core.train.timeline import Timeline


def train(epochs: int, record: bool) -> tuple[float, Timeline | None, float]:
    graph, settings = load_example_document("moons_network")
    trainer = Trainer.from_settings(graph, {**settings["training"], "epochs": epochs,
                                            "eval_every": 0})
    timeline = Timeline() if record else None
    if timeline is not None:
        timeline.add(0, trainer.parameters())
        timeline.plan(epochs)  # as the training session does

    def on_epoch(result) -> None:
        if timeline.due():
            timeline.add(result.epoch, trainer.parameters(), result.train_loss,
                         result.grad_norms, copy=False)
        else:
            timeline.skip(result.epoch, result.train_loss)

    start = time.perf_counter()
    trainer.run(callback=on_epoch if record else None)
    seconds = time.perf_counter() - start
    if timeline is not None:
        timeline.finish(trainer.epoch, trainer.parameters())
    return seconds, timeline, trainer.history[-1].train_loss


def gui_stalls(epochs: int) -> dict[str, float]:
    """In the editor (offscreen): the longest time one move of the timeline's slider and
    one click on a training point (one sample's graph) hold the event loop."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from graphgui.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    window.file_controller.example_actions["moons_network"].trigger()
    doc, panel = window.document, window.training_panel
    doc.set_setting("training", {**doc.settings["training"], "epochs": epochs})
    panel.start()
    while panel.state != "idle":
        app.processEvents()
        time.sleep(0.005)
    bar = panel.timeline_bar
    scrub = []
    for index in range(0, len(bar.timeline), max(1, len(bar.timeline) // 50)):
        start = time.perf_counter()
        bar.show_index(index)
        app.processEvents()
        scrub.append(time.perf_counter() - start)
    picks = []
    for k in range(0, 140, 7):
        start = time.perf_counter()
        panel.boundary_plot.sample_clicked.emit(k)
        app.processEvents()
        picks.append(time.perf_counter() - start)
    doc.set_clean()
    window.close()
    def ms(times: list[float]) -> tuple[float, float]:
        return 1e3 * max(times), 1e3 * sorted(times)[len(times) // 2]

    (scrub_max, scrub_median), (pick_max, pick_median) = ms(scrub), ms(picks)
    return {"scrub_max_ms": scrub_max, "scrub_median_ms": scrub_median,
            "pick_max_ms": pick_max, "pick_median_ms": pick_median}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="one round")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else 3
    best: dict[str, float] = {}
    kept = None
    losses = {}
    for _ in range(rounds):  # interleaved: a slow spell hits all three alike
        for name, record in (("Trainer", False), ("Trainer + timeline", True)):
            seconds, timeline, loss = train(args.epochs, record)
            best[name] = min(best.get(name, seconds), seconds)
            losses[name] = loss
            if timeline is not None:
                kept = timeline
        seconds = run_notebook(200, 4, args.epochs, seed=0)["seconds"]
        best["notebook NumPy loop"] = min(best.get("notebook NumPy loop", seconds), seconds)
    assert losses["Trainer"] == losses["Trainer + timeline"], "recording changed the run"
    base = best["notebook NumPy loop"]
    rows = [[name, f"{t:.3f}", f"{t / base:.2f}x"] for name, t in best.items()]
    print(f"moons network, {args.epochs} epochs; the timeline kept {len(kept)} moments "
          f"in {kept.nbytes / 1e3:.0f} kB (stride {kept.stride})")
    print(table(["run", "seconds", "x notebook"], rows))
    overhead = best["Trainer + timeline"] / best["Trainer"]
    print(f"recording costs {100 * (overhead - 1):.1f} % of the training time")
    stalls = gui_stalls(args.epochs)
    print(f"editor: a slider move holds the event loop {stalls['scrub_median_ms']:.1f} ms "
          f"(longest {stalls['scrub_max_ms']:.1f} ms); a click on a training point "
          f"{stalls['pick_median_ms']:.1f} ms (longest {stalls['pick_max_ms']:.1f} ms); "
          "target < 50 ms")
    path = write_results("timeline", {
        "epochs": args.epochs, "moments": len(kept), "bytes": kept.nbytes,
        "seconds": best, "overhead": overhead, "gui": stalls,
    })
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
