"""What network health costs: recording the update-to-data ratios while training, and the
Health dock and canvas bands while a run is shown live in the editor.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_health.py [--rounds 5] [--quick]

Headless: the moons network (10,000 epochs, its stored settings) and the vanishing-gradients
pair (2,000 epochs) trained by the same Trainer with and without
``Trainer.record_update_ratios()``, rounds interleaved so a slow spell hits both; the
figure is the median; the losses must agree to the bit (recording only reads).

In the editor (``--gui``, the default): the moons network trained from Start, once as the
window opens (Health dock a hidden tab, bands off) and once with the Health dock in front
and View > Show Network Health on, redrawn with every live frame. Reported: the training
loop's speed against headless (``bench_training_gui.py``'s measure) and the longest gap
between two ticks of a 5 ms timer on the GUI thread (target < 50 ms). And one redraw of the
Health dock in front (its table of layers with their histograms, and the ratio plot after
a run), recomputed and painted, for the moons network and the vanishing-gradients pair:
the median of 30 (``--redraw-only`` for this alone).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, os.path.dirname(__file__))
from _common import StallMeter, table, write_results  # noqa: E402

from graphgui.core.examples import load_example_document  # noqa: E402
from graphgui.core.train import Trainer  # noqa: E402

CASES = (("moons_network", None), ("vanishing_gradients", 2000))


def headless(name: str, epochs: int | None, record: bool) -> tuple[float, float, int, float]:
    """(seconds of the training loop, final loss, points recorded, seconds spent in the
    recording itself: timed around each call, immune to the machine's other load)."""
    graph, settings = load_example_document(name)
    training = dict(settings["training"])
    if epochs is not None:
        training["epochs"] = epochs
    trainer = Trainer.from_settings(graph, training)
    log = trainer.record_update_ratios() if record else None
    spent = [0.0]
    if record:
        inner = trainer._record_ratios

        def timed(*args: object) -> None:
            began = time.perf_counter()
            inner(*args)
            spent[0] += time.perf_counter() - began

        trainer._record_ratios = timed  # type: ignore[method-assign]
    start = time.perf_counter()
    trainer.run()
    seconds = time.perf_counter() - start
    return (seconds, trainer.history[-1].train_loss, len(log) if log is not None else 0,
            spent[0])


def bench_headless(rounds: int) -> list[dict]:
    out = []
    for name, epochs in CASES:
        headless(name, 50, True)  # warm up
        times: dict[bool, list[float]] = {False: [], True: []}
        losses, points, spent = {}, 0, []
        for _ in range(rounds):
            for record in (False, True):
                seconds, loss, n, inside = headless(name, epochs, record)
                times[record].append(seconds)
                losses[record] = loss
                points = max(points, n)
                if record:
                    spent.append(inside)
        assert losses[False] == losses[True], "recording changed the trained numbers"
        plain, recorded = (statistics.median(times[k]) for k in (False, True))
        inside = statistics.median(spent)
        out.append({"case": name, "epochs": epochs or 10_000, "plain_s": plain,
                    "recorded_s": recorded, "ratio": recorded / plain, "points": points,
                    "recording_s": inside, "recording_share": inside / plain})
    return out


def gui_round(app: object, health: bool) -> dict[str, float]:
    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop

    from graphgui.core.train.process import prestart
    from graphgui.gui.application import settle_collector
    from graphgui.gui.document import Document
    from graphgui.gui.main_window import MainWindow

    graph, settings = load_example_document("moons_network")
    window = MainWindow(Document(graph, settings=settings))
    window.resize(1600, 1000)
    window.show()
    for _ in range(10):
        app.processEvents()  # type: ignore[attr-defined]
    if health:
        window.health.action.trigger()  # View > Show Network Health
        for _ in range(10):
            app.processEvents()  # type: ignore[attr-defined]
    settle_collector()  # as the editor does once its window is up
    prestart()  # and its training process (a no-op when one is kept)
    panel = window.training_panel
    meter = StallMeter()
    meter.start()
    assert panel.start(), panel.message
    if health:  # Start brings Loss to the front: the Health tab in front of it again
        app.processEvents()  # type: ignore[attr-defined]
        window.health.dock.raise_()
    loop = QEventLoop()
    done: list[float] = []
    panel.finished.connect(lambda worker: (done.append(worker.seconds), loop.quit()))
    loop.exec()
    meter.stop()
    drawn = window.health.panel.refreshes
    window.document.set_clean()
    window._close_guards.clear()
    window.close()
    window.deleteLater()
    # Destroyed now, not in the next round's measured event loop; each round a fresh editor.
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    app.processEvents()  # type: ignore[attr-defined]
    gc.unfreeze()
    gc.collect()
    return {"train_seconds": done[0], "max_stall_ms": 1000 * max(meter.gaps),
            "redraws": drawn}


def bench_gui(rounds: int) -> list[dict]:
    app = _app()
    heads: list[float] = []
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(rounds):
        heads.append(headless("moons_network", None, False)[0])
        for health in (False, True):
            runs[health].append(gui_round(app, health))
    head = statistics.median(heads)
    out = []
    for health in (False, True):
        train = statistics.median(r["train_seconds"] for r in runs[health])
        stalls = [r["max_stall_ms"] for r in runs[health]]
        out.append({"health": health, "speed_vs_headless": head / train,
                    "max_stall_ms": max(stalls), "median_stall_ms": statistics.median(stalls),
                    "redraws": runs[health][-1]["redraws"]})
    return out


def bench_redraw(repeats: int = 30) -> list[dict]:
    """The Health dock's redraw after a run: panel.refresh() (the numbers, the table, the
    ratio curves) and a synchronous repaint of the table and the plot."""
    from PySide6.QtCore import QEventLoop

    from graphgui.gui.document import Document
    from graphgui.gui.main_window import MainWindow

    app = _app()
    out = []
    for name, epochs in (("moons_network", 2000), ("vanishing_gradients", None)):
        graph, settings = load_example_document(name)
        if epochs is not None:
            settings = {**settings, "training": {**settings["training"], "epochs": epochs}}
        window = MainWindow(Document(graph, settings=settings))
        window.resize(1600, 1000)
        window.show()
        panel = window.training_panel
        loop = QEventLoop()
        panel.finished.connect(loop.quit)
        assert panel.start(), panel.message
        loop.exec()
        window.health.dock.raise_()
        for _ in range(10):
            app.processEvents()
        health = window.health.panel
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            health.refresh()
            health.layer_table.viewport().repaint()
            health.area.viewport().repaint()
            times.append(time.perf_counter() - began)
        out.append({"case": name, "layers": len(health.layers),
                    "redraw_ms": 1000 * statistics.median(times),
                    "longest_ms": 1000 * max(times)})
        window.document.set_clean()
        window._close_guards.clear()
        window.close()
        window.deleteLater()
        app.processEvents()
    return out


def _app() -> object:
    from PySide6.QtCore import QSettings

    folder = tempfile.mkdtemp(prefix="graphgui-bench-")
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, folder)
    os.environ.setdefault("GRAPHGUI_DATA_DIR", folder)
    from graphgui.gui.application import application

    return application()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="two rounds")
    parser.add_argument("--no-gui", action="store_true", help="headless figures only")
    parser.add_argument("--redraw-only", action="store_true",
                        help="only the Health dock's redraw time")
    args = parser.parse_args(argv)
    rounds = 2 if args.quick else args.rounds
    if args.redraw_only:
        redraw = bench_redraw()
        print(_redraw_table(redraw))
        return 0
    results: dict[str, object] = {"headless": bench_headless(rounds)}
    rows = [[r["case"], r["epochs"], f"{r['plain_s']:.3f}", f"{r['recorded_s']:.3f}",
             f"{r['ratio']:.3f}x", f"{1000 * r['recording_s']:.1f}",
             f"{100 * r['recording_share']:.1f} %", r["points"]] for r in results["headless"]]
    print(table(["example", "epochs", "Trainer s", "recording ratios s", "ratio",
                 "in the recording ms", "of the training", "points kept"], rows))
    ok = True
    if not args.no_gui:
        gui = bench_gui(rounds)
        results["gui"] = gui
        rows = [["Health dock + bands" if g["health"] else "as the window opens",
                 f"{g['speed_vs_headless']:.2f}", f"{g['max_stall_ms']:.1f}",
                 f"{g['median_stall_ms']:.1f}", g["redraws"]] for g in gui]
        print(table(["moons network in the editor", "speed vs headless",
                     "longest stall ms (< 50)", "median of the rounds' longest",
                     "Health dock redraws"], rows))
        ok = all(g["max_stall_ms"] < 50 for g in gui)
        results["redraw"] = bench_redraw()
        print(_redraw_table(results["redraw"]))
    path = write_results("health", results)
    print(f"written to {path}")
    return 0 if ok else 1


def _redraw_table(redraw: list[dict]) -> str:
    return table(["Health dock redraw after a run", "layers", "median ms", "longest ms"],
                 [[r["case"], r["layers"], f"{r['redraw_ms']:.1f}", f"{r['longest_ms']:.1f}"]
                  for r in redraw])


if __name__ == "__main__":
    sys.exit(main())
