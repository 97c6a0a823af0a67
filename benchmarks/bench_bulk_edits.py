"""Bulk edits in the editor: a 5,000-node expression typed into the bar, a 5,000-node paste,
their undo, and a file whose nodes are all piled at one point.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_bulk_edits.py`` (not part of pytest).
Targets (issue 9): the expression insert and the paste of 5,000 nodes under 2 s each, their
undo too; any valid 5,000-node file opens in seconds whatever its positions. Each figure is
also given as a ratio to work done in the same run without the editor: parsing the program
(the CLI's cost) and opening the same graph as a file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(__file__))

from _common import table, write_results  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from graphgui.core import fileformat  # noqa: E402
from graphgui.core.expr import parse  # noqa: E402

LINES = 1250  # about four nodes a line: about 5,000 nodes


def program(lines: int = LINES) -> str:
    return "a0 = 1\n" + "\n".join(f"a{k} = a{k - 1} * 1.0001 + {k % 7}"
                                  for k in range(1, lines))


def seconds(fn) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    os.environ["GRAPHGUI_DATA_DIR"] = tempfile.mkdtemp()
    from graphgui.gui.application import application
    from graphgui.gui.document import Document
    from graphgui.gui.main_window import MainWindow

    app = application()
    text = program()
    parse_s = seconds(lambda: parse(text))
    graph = parse(text)
    n = len(graph)
    path = os.path.join(tempfile.mkdtemp(), "bulk.json")
    fileformat.save(graph, path)

    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    app.processEvents()

    def settle() -> None:
        # Until the editor has caught up: the coalesced re-evaluation has run and drawn.
        app.processEvents()
        while window.evaluator.pending:
            app.processEvents()

    open_s = seconds(lambda: (window.set_document(Document(fileformat.load(path))), settle()))
    window.set_document(Document())
    settle()
    window.expression_bar.edit.setText(text)
    insert_s = seconds(lambda: (window.expression_bar.submit(), settle()))
    undo_insert_s = seconds(lambda: (window.action("undo").trigger(), settle()))
    window.action("redo").trigger()
    settle()
    window.scene.select_nodes(list(window.scene.node_items))
    window.action("copy").trigger()
    window.scene.clearSelection()
    paste_s = seconds(lambda: (window.edits.paste(), settle()))
    undo_paste_s = seconds(lambda: (window.action("undo").trigger(), settle()))

    piled = parse(text)
    for node in list(piled):
        piled.move(node.id, (0.0, 0.0))
    piled_s = seconds(lambda: (window.set_document(Document(piled)), settle()))

    window.document.set_clean()
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().clear()
    window.close()

    rows = [
        ["parse the program (the CLI's cost)", n, f"{parse_s:.2f} s", "1.00x"],
        ["open it as a file", n, f"{open_s:.2f} s", f"{open_s / parse_s:.2f}x"],
        ["type it into the expression bar", n, f"{insert_s:.2f} s", f"{insert_s / parse_s:.2f}x"],
        ["undo the insert", n, f"{undo_insert_s:.2f} s", f"{undo_insert_s / parse_s:.2f}x"],
        ["paste it beside itself", n, f"{paste_s:.2f} s", f"{paste_s / open_s:.2f}x open"],
        ["undo the paste", n, f"{undo_paste_s:.2f} s", f"{undo_paste_s / open_s:.2f}x open"],
        ["open with every node at one point", n, f"{piled_s:.2f} s",
         f"{piled_s / open_s:.2f}x open"],
    ]
    print(table(["bulk edit", "nodes", "time", "ratio"], rows))
    write_results("bulk_edits", {
        "nodes": n, "parse_s": parse_s, "open_s": open_s, "insert_s": insert_s,
        "undo_insert_s": undo_insert_s, "paste_s": paste_s, "undo_paste_s": undo_paste_s,
        "piled_open_s": piled_s,
    })


if __name__ == "__main__":
    main()
