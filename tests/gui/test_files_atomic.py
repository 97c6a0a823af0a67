"""The one atomic writer (graphgui.gui.atomic) and what it refuses, through every caller:
graph saves, autosave, PNG/SVG export; and a FIFO opened in the editor."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSaveFile
from test_files import data_dir, editor, make_editor, write_graph  # noqa: F401 (fixtures)

from graphgui.core.examples import load_example
from graphgui.gui.atomic import WriteError, special_file_reason, write_bytes, write_text
from graphgui.gui.export import export_image

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def leftovers(folder: Path, *keep: str) -> list[str]:
    """Files in ``folder`` other than ``keep`` (QSaveFile's temporaries would show here)."""
    gc.collect()  # a QSaveFile left uncommitted removes its temporary file when deleted
    return sorted(set(os.listdir(folder)) - set(keep))


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe. Should anything open it for reading by mistake, a writer comes after
    3 s and closes again, so the test fails on its timing instead of hanging."""
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    done = threading.Event()

    def unblock() -> None:
        if not done.wait(3.0):
            with contextlib.suppress(OSError):  # ENXIO: nobody is reading it, all is well
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    yield path
    done.set()
    thread.join(5)


# ---- the writer ----------------------------------------------------------------------------


def test_writes_bytes_and_text_and_replaces_in_place(tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    write_text(out, "x,y\r\n1,2\r\n")
    assert out.read_bytes() == b"x,y\r\n1,2\r\n"  # no newline translation
    os.chmod(out, 0o640)
    write_bytes(out, b"\x89PNG")
    assert out.read_bytes() == b"\x89PNG"
    assert (out.stat().st_mode & 0o777) == 0o640  # the old file's permissions are kept
    assert leftovers(tmp_path, "a.csv") == []


def test_failed_commit_leaves_the_old_file_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "keep.md"
    out.write_bytes(b"old \x00 bytes")
    monkeypatch.setattr(QSaveFile, "commit", lambda self: False)
    with pytest.raises(WriteError) as info:
        write_text(out, "new text")
    monkeypatch.undo()
    assert out.read_bytes() == b"old \x00 bytes"
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"cannot write {out}: ")
    assert info.value.reason == "the file could not be replaced"
    assert isinstance(info.value, OSError)
    assert leftovers(tmp_path, "keep.md") == []


def test_failed_write_cancels_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "keep.png"
    out.write_bytes(b"old picture")
    monkeypatch.setattr(QSaveFile, "write", lambda self, data: 3)  # a short write (disk full)
    with pytest.raises(WriteError, match="could not be written"):
        write_bytes(out, b"a new picture")
    monkeypatch.undo()
    assert out.read_bytes() == b"old picture"
    assert leftovers(tmp_path, "keep.png") == []


def test_unwritable_places_are_refused_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "plain_file"
    blocker.write_text("x")
    with pytest.raises(WriteError, match="Not a directory"):
        write_bytes(blocker / "x.svg", b"<svg/>")
    with pytest.raises(WriteError, match="No such file"):
        write_bytes(tmp_path / "missing" / "x.svg", b"<svg/>")
    folder = tmp_path / "folder.png"
    folder.mkdir()
    with pytest.raises(WriteError, match="it is a folder, not a regular file"):
        write_bytes(folder, b"x")
    with pytest.raises(WriteError, match="not valid utf-8"):
        write_text(tmp_path / "t.md", "lone \ud800 surrogate")
    assert leftovers(tmp_path, "plain_file", "folder.png") == []


@needs_fifo
def test_a_fifo_target_is_refused_at_once(fifo: Path) -> None:
    start = time.monotonic()
    with pytest.raises(WriteError) as info:
        write_bytes(fifo, b"data")
    assert time.monotonic() - start < 1.0
    assert str(info.value) == f"cannot write {fifo}: it is a named pipe (FIFO), not a regular file"
    assert special_file_reason(fifo) == "it is a named pipe (FIFO), not a regular file"
    assert fifo.is_fifo()  # not replaced by a plain file
    assert special_file_reason("/dev/null") == "it is a character device, not a regular file"
    assert special_file_reason(fifo.parent / "nothing_here") is None


# ---- its callers ---------------------------------------------------------------------------


@needs_fifo
def test_export_to_a_fifo_is_refused_before_drawing(qapp: Any, tmp_path: Path) -> None:
    for suffix in (".png", ".svg"):
        target = tmp_path / f"pipe{suffix}"
        os.mkfifo(target)
        start = time.monotonic()
        with pytest.raises(OSError, match=r"pipe\.(png|svg): it is a named pipe"):
            export_image(load_example("chain_rule"), target)
        assert time.monotonic() - start < 1.0 and target.is_fifo()


def test_autosave_failure_leaves_the_old_autosave(
    editor: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    window, _ = editor
    fc = window.file_controller
    window.document.add_node("input", (0, 0), name="x", value=1.0)
    assert fc.autosave_now()
    old = Path(fc.store.path).read_bytes()
    window.document.add_node("input", (0, 90), name="y", value=2.0)
    monkeypatch.setattr(QSaveFile, "commit", lambda self: False)
    assert not fc.autosave_now()
    monkeypatch.undo()
    assert Path(fc.store.path).read_bytes() == old
    message = window.statusBar().currentMessage()
    assert message.startswith("Autosave failed: cannot write ") and "\n" not in message


@needs_fifo
def test_saving_over_a_fifo_is_refused(editor: Any, fifo: Path) -> None:  # noqa: F811
    window, prompts = editor
    window.document.add_node("input", (0, 0), name="x", value=1.0)
    start = time.monotonic()
    assert not window.file_controller.save_to(str(fifo))
    assert time.monotonic() - start < 1.0
    assert fifo.is_fifo() and window.document.modified and window.document.path is None
    (title, text), = prompts.errors
    assert title == "Save failed" and "named pipe (FIFO)" in text
    assert window.statusBar().currentMessage() == (
        "Could not save pipe.json: it is a named pipe (FIFO), not a regular file")


@needs_fifo
def test_opening_a_fifo_is_refused_without_hanging(
    editor: Any, tmp_path: Path, fifo: Path  # noqa: F811
) -> None:
    window, prompts = editor
    fc = window.file_controller
    good = write_graph(tmp_path / "good.json")
    assert fc.open_file(str(good))
    doc = window.document
    # File > Open, through the real action and the open path.
    prompts.open_path = str(fifo)
    start = time.monotonic()
    fc.action_open.trigger()
    assert time.monotonic() - start < 1.0
    assert window.document is doc  # the current graph stays
    (title, text), = prompts.errors
    assert title == "Cannot open file"
    assert text == f"{fifo}: cannot read: is a named pipe (FIFO), not a regular file"
    assert window.statusBar().currentMessage() == f"Cannot open: {text}"
    # `graphgui FILE` opens through the same call.
    assert not fc.open_file(str(fifo), check_unsaved=False)
    assert window.document is doc
    # A dropped FIFO is refused the same way.
    assert not fc.drops.open_dropped([str(fifo)])
    assert window.document is doc and len(prompts.errors) == 3
    assert time.monotonic() - start < 2.0


def test_plot_exports_go_through_the_writer(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graphgui.core.train import EpochResult
    from graphgui.gui.panels.plots import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(420, 300)
    plot.show()
    qtbot.waitExposed(plot)
    plot.append([EpochResult(1, 0.9, None, None, None, {}, 0.0)])
    csv_path, png_path = tmp_path / "loss.csv", tmp_path / "loss.png"
    plot.export_csv(str(csv_path))
    assert csv_path.read_bytes().startswith(b"epoch,train_loss")
    plot.export_png(str(png_path))
    assert png_path.read_bytes().startswith(b"\x89PNG")
    old_csv, old_png = csv_path.read_bytes(), png_path.read_bytes()
    monkeypatch.setattr(QSaveFile, "commit", lambda self: False)
    for export, path in ((plot.export_csv, csv_path), (plot.export_png, png_path)):
        with pytest.raises(WriteError, match="could not be replaced"):
            export(str(path))
    monkeypatch.undo()
    assert (csv_path.read_bytes(), png_path.read_bytes()) == (old_csv, old_png)
    assert leftovers(tmp_path, "loss.csv", "loss.png") == []


@needs_fifo
def test_a_fifo_among_the_autosaves_does_not_block_the_start(
    make_editor: Any, data_dir: Path  # noqa: F811
) -> None:
    from graphgui.gui import autosave

    window, prompts = make_editor()
    folder = data_dir / autosave.SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "stuck.json")
    start = time.monotonic()
    assert window.file_controller.offer_restore() == 0
    assert time.monotonic() - start < 1.0 and prompts.asked == []
    assert (folder / "stuck.corrupt").is_fifo()  # set aside, as an unreadable autosave
    assert "named pipe" in window.statusBar().currentMessage()
