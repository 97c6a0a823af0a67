"""The files in resources/: found through graphgui.core.resources, and well formed."""

from __future__ import annotations

import configparser
import struct
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from graphgui.core.examples import example_names, training_example_names
from graphgui.core.resources import desktop_entry_path, examples_dir, icon_path

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def test_examples_dir_holds_every_bundled_example() -> None:
    folder = examples_dir()
    assert folder.is_dir()
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")) == sorted(
        f"{name}.json" for name in example_names()
    )
    training = folder.joinpath("training")
    assert sorted(p.name for p in training.iterdir() if p.name.endswith(".json")) == sorted(
        f"{name}.json" for name in training_example_names()
    )


def test_resources_come_from_the_top_level_folder() -> None:
    # In this checkout (an editable install) the files are the repository's own.
    assert Path(icon_path()).resolve() == ROOT / "resources" / "icons" / "graphgui.svg"
    assert Path(str(examples_dir())).resolve() == ROOT / "resources" / "examples"


def test_svg_icon_is_a_small_graph() -> None:
    path = icon_path()
    assert isinstance(path, str) and path.endswith("graphgui.svg")  # what QIcon(...) takes
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 256 256"
    assert len(root.findall(f".//{SVG}circle")) == 3  # three nodes
    assert len(root.findall(f".//{SVG}path")) == 2  # two wires


def test_png_icon_is_256_pixels_square() -> None:
    data = Path(icon_path("png")).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (256, 256)


def test_unknown_icon_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="icon kind must be one of svg, png, not 'ico'"):
        icon_path("ico")


def test_desktop_entry_starts_the_installed_command_with_the_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(desktop_entry_path(), encoding="utf-8")
    entry = parser["Desktop Entry"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "graphgui %f" and "graphgui" in scripts
    assert entry["Icon"] == Path(icon_path()).stem == Path(icon_path("png")).stem
    assert entry["Categories"] == "Education;Science;"
    assert entry["Terminal"] == "false"
    assert entry["Name"] and entry["Comment"]
