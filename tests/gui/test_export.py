"""Image export: PNG and SVG files drawn by the real canvas items, headless."""

from __future__ import annotations

import math
import os
import subprocess
import sys
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
from graphgui.gui.export import export_image, render_image
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
