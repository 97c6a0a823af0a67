"""Canvas speed: open + first paint, dragging, zoomed-out repaint, re-evaluation.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_canvas.py`` (not part of pytest).
Targets (issue 3): open+paint 1,000 nodes < 1 s and 5,000 < 3 s; drag < 5 ms per mouse move;
zoomed-out full repaint of 5,000 nodes < 50 ms; re-evaluation of 200 nodes < 20 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from graphgui.core.graph import Graph  # noqa: E402


def make_graph(n: int, seed: int = 0, tangled: bool = True) -> Graph:
    """A scalar network placed in columns of 40: a fifth sources, the rest add/mul/tanh/
    sigmoid. ``tangled``: inputs from any of the 80 previous nodes (long wires crossing
    everything, a stress case); else from the previous column within 3 rows, as a layered
    layout draws real networks."""
    rng = random.Random(seed)
    g = Graph("bench")
    ids: list[str] = []
    n_src = max(2, n // 5)
    for i in range(n):
        col, row = divmod(i, 40)
        pos = (col * 180.0, row * 90.0)
        if i < n_src:
            node = g.add_node("input", name=f"x{i}", value=rng.uniform(-1, 1), pos=pos)
        else:
            op = rng.choice(["add", "mul", "tanh", "sigmoid"])
            node = g.add_node(op, pos=pos)
            for port in range(node.spec.arity):
                if tangled:
                    src = rng.randrange(max(0, len(ids) - 80), len(ids))
                else:
                    src = min(len(ids) - 1, max(0, len(ids) - 40 + rng.randint(-3, 3)))
                g.connect(ids[src], node.id, port)
        ids.append(node.id)
    return g


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_open(app: QApplication, window, n: int) -> float:
    from graphgui.gui.document import Document

    graph = make_graph(n)

    def run() -> None:
        window.set_document(Document(graph))
        window.view.fit_to_view()
        window.view.viewport().repaint()
        app.processEvents()

    t = timed(run)
    # Detach so the next open starts from an empty scene.
    window.set_document(Document())
    app.processEvents()
    return t


def bench_drag(
    app: QApplication, window, n: int, full_repaint: bool = False, tangled: bool = True
) -> float:
    from graphgui.gui.document import Document

    graph = make_graph(n, tangled=tangled)
    window.set_document(Document(graph))
    app.processEvents()
    view, scene = window.view, window.scene
    view.resetTransform()
    # A node with several wires, in the middle of the graph.
    nid = max(graph.nodes[n // 2: n // 2 + 200],
              key=lambda node: len(graph.consumers(node.id))).id
    item = scene.node_items[nid]
    view.centerOn(item)
    app.processEvents()
    vp = view.viewport()
    start = view.mapFromScene(item.pos() + QPointF(0, -item.rect.height() / 2 + 6))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    times = []
    for k in range(1, 61):
        p = start + QPoint(k * 2, k)
        t0 = time.perf_counter()
        QTest.mouseMove(vp, p)
        if full_repaint:
            vp.repaint()  # worst case: the whole viewport
        else:
            app.processEvents()  # the repaint of the region the move dirtied
        times.append(time.perf_counter() - t0)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, start + QPoint(120, 60))
    assert window.document.undo_stack.undoText().startswith("Move")
    return statistics.median(times)


def bench_zoomed_out(app: QApplication, window, n: int) -> tuple[float, float]:
    from graphgui.gui.document import Document

    window.set_document(Document(make_graph(n)))
    app.processEvents()
    window.view.fit_to_view()
    app.processEvents()
    vp = window.view.viewport()
    return window.view.zoom, timed(vp.repaint, repeat=5)


def bench_reevaluate(app: QApplication, window, n: int) -> tuple[float, float]:
    from graphgui.gui.document import Document

    graph = make_graph(n)
    window.set_document(Document(graph))
    app.processEvents()
    src = graph.nodes[0].id
    values = iter(range(1, 10_000))

    def eval_only() -> None:
        window.document.set_value(src, float(next(values)) / 7)
        window.evaluator.evaluate_now()

    def with_display() -> None:
        eval_only()  # evaluated -> scene and inspector update (connected slots)
        window.view.viewport().repaint()

    return timed(eval_only, repeat=20), timed(with_display, repeat=10)


def main() -> int:
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from graphgui.gui.main_window import MainWindow

    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    rows = []
    for n, target in ((1000, 1.0), (5000, 3.0)):
        t = bench_open(app, window, n)
        rows.append((f"open + first paint, {n} nodes", t * 1e3, target * 1e3))
    for n in (1000, 5000):
        t = bench_drag(app, window, n, tangled=False)
        rows.append((f"drag a wired node, per mouse move ({n:,} nodes, layered)", t * 1e3, 5.0))
    for n in (1000, 5000):
        t = bench_drag(app, window, n)
        rows.append((f"drag a wired node, per mouse move ({n:,} nodes, tangled)", t * 1e3, 5.0))
    t = bench_drag(app, window, 1000, full_repaint=True)
    rows.append(("  ... with a full-viewport repaint per move (1,000)", t * 1e3, 50.0))
    zoom, t = bench_zoomed_out(app, window, 5000)
    rows.append((f"zoomed-out full repaint, 5,000 nodes (zoom {zoom:.3f})", t * 1e3, 50.0))
    t_eval, t_all = bench_reevaluate(app, window, 200)
    rows.append(("re-evaluate after an edit, 200 nodes", t_eval * 1e3, 20.0))
    rows.append(("  ... plus scene update and repaint", t_all * 1e3, 20.0))
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'ms':>9}  {'target':>7}")
    for name, ms, target in rows:
        flag = "ok" if ms < target else "SLOW"
        print(f"{name:<{width}}  {ms:9.2f}  {target:7.0f}  {flag}")
    window.document.set_clean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
