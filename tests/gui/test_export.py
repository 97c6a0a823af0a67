"""Image export: PNG and SVG files drawn by the real canvas items, headless."""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSaveFile
from PySide6.QtGui import QColor, QImage

from graphgui.cli import main as cli_main
from graphgui.core.examples import load_example
from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.gui.export import MAX_PNG_SIDE, MAX_SVG_SIDE, export_image, render_image
from graphgui.gui.theme import LIGHT

SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG_NS}svg"
    return [(t.text or "").strip() for t in root.iter(f"{SVG_NS}text")]


def colours(image: QImage, step: int = 7) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)}


def test_png_of_an_example(qapp: Any, tmp_path: Path) -> None:
    out = tmp_path / "chain.png"
    export_image(load_example("chain_rule"), out)
    image = QImage(str(out))
    assert not image.isNull() and image.width() > 100 and image.height() > 50
    assert len(colours(image)) > 20  # a drawing, not one flat colour
    # The margin is the theme's background (light for slides).
    assert QColor(image.pixel(1, 1)) == QColor(LIGHT.background)
    assert QColor(image.pixel(image.width() - 2, image.height() - 2)) == QColor(LIGHT.background)


def test_png_scale_sets_pixels_and_dpi(qapp: Any) -> None:
    graph = load_example("neuron")
    one = render_image(graph, scale=1.0)
    two = render_image(graph, scale=2.0)
    assert abs(two.width() - 2 * one.width()) <= 1 and abs(two.height() - 2 * one.height()) <= 1
    # Viewers place the 2x picture at its logical size: 192 dpi.
    assert round(two.dotsPerMeterX() * 0.0254) == 192


TANH_SOURCE = "x = 0.5\nf = tanh(x)\n"
TANH_VALUE = math.tanh(0.5)  # 0.46211...
TANH_GRAD = 1 - math.tanh(0.5) ** 2  # 0.78645...: d tanh(x)/dx by hand


def shows(texts: list[str], number: float) -> bool:
    """A label shows ``number`` to at least three significant digits."""
    return any(t.startswith(f"{number:.3g}") for t in texts)


def test_svg_parses_and_shows_values_and_gradients(qapp: Any, tmp_path: Path) -> None:
    out = tmp_path / "chain.svg"
    export_image(load_example("chain_rule"), out)
    texts = svg_texts(out)
    # x=-2, y=5, z=-4: f = (x + y) * z = -12, written only on the output's stub.
    for expected in ("-12", "x", "y", "z", "q", "f"):
        assert expected in texts, expected
    assert ET.parse(out).getroot().find(f"{SVG_NS}title").text == "Chain rule: (x + y) * z"
    export_image(parse(TANH_SOURCE), tmp_path / "tanh.svg")
    texts = svg_texts(tmp_path / "tanh.svg")
    assert shows(texts, TANH_VALUE) and shows(texts, TANH_GRAD)


def test_hiding_values_and_gradients(qapp: Any, tmp_path: Path) -> None:
    graph = parse(TANH_SOURCE)
    export_image(graph, tmp_path / "no_values.svg", show_values=False)
    texts = svg_texts(tmp_path / "no_values.svg")
    assert not shows(texts, TANH_VALUE) and shows(texts, TANH_GRAD)
    export_image(graph, tmp_path / "no_grads.svg", show_grads=False)
    texts = svg_texts(tmp_path / "no_grads.svg")
    assert shows(texts, TANH_VALUE) and not shows(texts, TANH_GRAD)
    # A source's own value is part of its node, not a wire label: it stays.
    assert "0.5" in texts


def test_graph_with_an_error_still_exports(qapp: Any, tmp_path: Path) -> None:
    graph = parse("x = -1\nf = log(x)\n")  # log of a negative: the node turns red
    out = tmp_path / "err.png"
    export_image(graph, out)
    image = QImage(str(out))
    error = QColor(LIGHT.error)
    assert any(
        abs(QColor(p).red() - error.red()) < 8 and abs(QColor(p).green() - error.green()) < 8
        and abs(QColor(p).blue() - error.blue()) < 8
        for p in colours(image, 1)
    )


def test_refusals(qapp: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        export_image(Graph(), tmp_path / "e.png")
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        export_image(load_example("chain_rule"), tmp_path / "e.jpg")
    with pytest.raises(ValueError, match="scale"):
        export_image(load_example("chain_rule"), tmp_path / "e.png", scale=0)
    assert os.listdir(tmp_path) == []


def test_failed_write_leaves_the_old_file(
    qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "old.png"
    out.write_bytes(b"old picture")
    monkeypatch.setattr(QSaveFile, "commit", lambda self: False)
    with pytest.raises(OSError, match="old.png"):
        export_image(load_example("chain_rule"), out)
    monkeypatch.undo()
    assert out.read_bytes() == b"old picture"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="cannot write"):
        export_image(load_example("chain_rule"), blocker / "x.svg")


def test_cli_export(qapp: Any, tmp_path: Path, capsys: Any) -> None:
    png = tmp_path / "x.png"
    assert cli_main(["export", "--example", "chain_rule", "-o", str(png)]) == 0
    assert QImage(str(png)).width() > 0
    svg = tmp_path / "x.svg"
    assert cli_main(["export", "--expr", "f = sigmoid(w * x)", "-o", str(svg)]) == 0
    assert "f" in svg_texts(svg)
    assert f"wrote {svg}" in capsys.readouterr().out
    assert cli_main(["export", "--example", "chain_rule", "-o", str(tmp_path / "x.gif")]) != 0
    assert "png or .svg" in capsys.readouterr().err


def test_cli_export_headless_without_an_application(tmp_path: Path) -> None:
    """A fresh process with no display and no QT_QPA_PLATFORM: export creates its own app."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    out = tmp_path / "net.png"
    code = "from graphgui.cli import main; raise SystemExit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; {code}", "export", "--example", "network_2_2_2",
         "-o", str(out)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert image.width() > image.height() > 0  # the network is laid out left to right


def test_export_action_in_the_editor(make_window: Any, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from graphgui.gui import autosave
    from graphgui.gui.files import install

    monkeypatch.setenv(autosave.DATA_DIR_ENV, str(tmp_path / "data"))
    window = make_window()
    fc = install(window, check_crashed=False)
    try:
        target = tmp_path / "from_gui.svg"
        monkeypatch.setattr(fc, "ask_export_path", lambda suggested: str(target))
        fc.action_export.trigger()  # empty graph: nothing to export, no dialog
        assert not target.exists()
        assert "empty" in window.statusBar().currentMessage()
        source = tmp_path / "tanh.json"
        from graphgui.core.fileformat import save

        save(parse(TANH_SOURCE), source)
        assert fc.open_file(str(source))
        window.action_show_grads.setChecked(False)  # the export follows the view toggles
        fc.action_export.trigger()
        texts = svg_texts(target)
        assert shows(texts, TANH_VALUE) and not shows(texts, TANH_GRAD)
        assert "Exported" in window.statusBar().currentMessage()
    finally:
        fc.shutdown()


# ---- size caps (issue 9: a far-away node) ---------------------------------------------------


def far_graph_file(tmp_path: Path, x: float) -> Path:
    """f = a * 3 with node a moved to (x, 0), written as a graph file."""
    from graphgui.core.fileformat import dumps

    data = json.loads(dumps(parse("a = 1\nf = a * 3\n")))
    for node in data["nodes"]:
        if node["name"] == "a":
            node["pos"] = [x, 0.0]
    path = tmp_path / f"far_{x:g}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB


@pytest.mark.parametrize(("x", "suffix"), [(1e9, ".png"), (1e6, ".png"), (1e12, ".svg"),
                                           (1e9, ".svg")])
def test_a_far_away_node_is_refused_in_one_line(
    qapp: Any, tmp_path: Path, x: float, suffix: str
) -> None:
    from graphgui.core.fileformat import load

    graph = load(far_graph_file(tmp_path, x))
    out = tmp_path / f"far{suffix}"
    before, start = peak_rss_mb(), time.monotonic()
    with pytest.raises(ValueError) as info:
        export_image(graph, out)
    assert time.monotonic() - start < 5 and peak_rss_mb() - before < 200
    message = str(info.value)
    kind = "PNG" if suffix == ".png" else "SVG"
    limit = MAX_PNG_SIDE if suffix == ".png" else MAX_SVG_SIDE
    assert "\n" not in message and f"over the {kind} limit of {limit:,} pixels a side" in message
    assert f"node 'a' at ({x:.4g}, 0) is far from the others" in message
    assert not out.exists()
    with pytest.raises(ValueError, match="limit"):
        render_image(graph)  # the preview is capped too


def test_a_large_graph_exports_up_to_the_cap(qapp: Any, tmp_path: Path) -> None:
    from graphgui.core.fileformat import load

    wide = load(far_graph_file(tmp_path, 3000))  # 2 x ~3000 px: well under the cap
    export_image(wide, tmp_path / "wide.png")
    image = QImage(str(tmp_path / "wide.png"))
    assert 6000 < image.width() <= MAX_PNG_SIDE
    # Spread evenly (no one node far away), a PNG over the cap suggests SVG, which works.
    spread = parse("; ".join(f"x{k} = {k}" for k in range(12)))
    for k, node in enumerate(spread.nodes):
        spread.move(node.id, (k * 800.0, 0.0))
    with pytest.raises(ValueError, match=r"pixels a side and 64 megapixels: export as SVG$"):
        export_image(spread, tmp_path / "spread.png")
    export_image(spread, tmp_path / "spread.svg")
    assert "x11" in svg_texts(tmp_path / "spread.svg")


def test_cli_export_of_a_far_away_node(tmp_path: Path) -> None:
    """The case that took 7 GB and 20 s: one line, exit 2, in bounded time and memory (the
    process may not even reserve 3 GB of address space)."""
    source = far_graph_file(tmp_path, 1e6)
    out = tmp_path / "far.png"

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "graphgui", "export", str(source), "-o", str(out)],
        env=env, capture_output=True, text=True, timeout=60, preexec_fn=limit_memory,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("graphgui export: error: the picture would be 3,999,")
    assert "over the PNG limit of 16,384 pixels a side" in result.stderr
    assert not out.exists()


def test_export_action_refuses_a_far_away_node(make_window: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window()
    fc = window.file_controller
    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(fc, "show_error", lambda title, text: errors.append((title, text)))
    monkeypatch.setattr(fc, "ask_open_path", lambda: str(far_graph_file(tmp_path, 1e9)))
    monkeypatch.setattr(fc, "ask_export_path", lambda suggested: str(tmp_path / "far.png"))
    fc.action_open.trigger()  # File > Open
    assert window.document.graph.find("a").pos == (1e9, 0.0)
    before, start = peak_rss_mb(), time.monotonic()
    fc.action_export.trigger()  # File > Export Image
    assert time.monotonic() - start < 5 and peak_rss_mb() - before < 200
    (title, text), = errors
    assert title == "Export failed" and "over the PNG limit" in text and "\n" not in text
    assert window.statusBar().currentMessage() == f"Could not export: {text}"
    assert not (tmp_path / "far.png").exists()
