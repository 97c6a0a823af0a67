"""What a wheel ships: every module, and resources/ as the package data graphgui.resources.

The top-level resources/ folder is mapped onto the package ``graphgui.resources`` in
pyproject.toml ([tool.setuptools] package-dir). Because ``packages.find`` cannot discover a
mapped package, the packages are listed by hand; the first tests say what to add when a new
package or resource file is missing, the last one builds a real wheel and looks inside.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]
RESOURCE_PACKAGE = "graphgui.resources"


def source_packages() -> set[str]:
    """Every folder under graphgui/ that holds Python modules, as a dotted package name."""
    return {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "graphgui").rglob("*.py")
        if "__pycache__" not in p.parts
    }


def resource_files() -> list[str]:
    """The files under resources/ that must ship, relative to it (POSIX separators)."""
    return sorted(
        p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(SETUPTOOLS["packages"])
    missing = sorted(source_packages() - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    assert listed - source_packages() == {RESOURCE_PACKAGE}, "a listed package has no folder"


def test_resources_are_mapped_from_the_top_level_folder() -> None:
    assert SETUPTOOLS["package-dir"] == {RESOURCE_PACKAGE: "resources"}
    assert (ROOT / "resources" / "__init__.py").is_file()
    # A folder left at the old place (git keeps untracked __pycache__ folders) would be found
    # before the mapping in an editable install and hide resources/.
    assert not (ROOT / "graphgui" / "resources").exists(), (
        "remove the leftover folder graphgui/resources: it hides resources/"
    )


def test_every_resource_file_matches_a_package_data_pattern() -> None:
    patterns = SETUPTOOLS["package-data"][RESOURCE_PACKAGE]
    unshipped = [
        name for name in resource_files()
        if name != "__init__.py" and not any(fnmatch.fnmatch(name, p) for p in patterns)
    ]
    assert not unshipped, f"add patterns for {unshipped} to package-data in pyproject.toml"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the project's sources (nothing written to the tree)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("graphgui", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    # With build isolation pip builds with the setuptools that pyproject.toml asks for.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
         str(src)],
        capture_output=True, text=True, env=env, timeout=110,
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    (built,) = (tmp / "dist").glob("graphgui-*.whl")
    return built


@pytest.mark.timeout(120)
def test_wheel_holds_every_module_and_every_resource(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    modules = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "graphgui").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert not modules - names, f"modules missing from the wheel: {sorted(modules - names)}"
    shipped = {f"graphgui/resources/{name}" for name in resource_files()}
    assert not shipped - names, f"resources missing from the wheel: {sorted(shipped - names)}"
    # The files the app looks up, by name.
    for name in ("graphgui/resources/icons/graphgui.svg", "graphgui/resources/icons/graphgui.png",
                 "graphgui/resources/graphgui.desktop",
                 "graphgui/resources/examples/chain_rule.json",
                 "graphgui/resources/examples/training/moons_network.json"):
        assert name in names
    assert not any(n.startswith("resources/") for n in names), "resources/ is not a package"


@pytest.mark.timeout(120)
def test_an_installed_wheel_finds_its_resources(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)  # what installing a pure-Python wheel amounts to
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pathlib import Path\n"
        "from graphgui.core.examples import load_example\n"
        "from graphgui.core.resources import desktop_entry_path, examples_dir, icon_path\n"
        "for p in (icon_path(), icon_path('png'), desktop_entry_path(), str(examples_dir())):\n"
        "    assert Path(p).resolve().is_relative_to(Path(sys.argv[1]).resolve()), p\n"
        "    assert Path(p).exists(), p\n"
        "print(len(list(load_example('chain_rule').nodes)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 0
