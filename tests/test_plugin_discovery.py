"""Finding installed plugins: the ``winlang`` entry points ``importlib.metadata`` finds, read
without it when no distribution on the path declares the group (``winlang check`` and every
command that opens a channel start faster; see ``winlang.plugins.entry_points``)."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

from winlang import plugins
from winlang.plugins import ENTRY_POINT_GROUP, make_plugin_manager

# A plugin that takes over the built-in ``outbox`` channel: installed plugins are asked first.
PLUGIN = """
from winlang.hookspecs import hookimpl

TAKEN = object()


@hookimpl
def winlang_channel(plugin, name, settings):
    return TAKEN if plugin == "outbox" else None
"""


def install(folder: Path, distribution: str, entry_points: str, suffix=".dist-info") -> None:
    """A distribution as pip leaves it in site-packages: metadata, entry points."""
    info = folder / f"{distribution}-1.0{suffix}"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n"
    (info / ("METADATA" if suffix == ".dist-info" else "PKG-INFO")).write_text(metadata)
    if entry_points:
        (info / "entry_points.txt").write_text(entry_points)


def found(group: str = ENTRY_POINT_GROUP) -> list[tuple[str, str]]:
    return sorted((e.name, e.value) for e in plugins.entry_points(group=group))


def metadata_finds(group: str = ENTRY_POINT_GROUP) -> list[tuple[str, str]]:
    return sorted((e.name, e.value) for e in importlib.metadata.entry_points(group=group))


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    """An empty folder first on ``sys.path``, as a site-packages."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_without_a_winlang_plugin_nothing_is_found_and_metadata_agrees(site):
    install(site, "other_tool", "[console_scripts]\nother = other_tool:main\n")
    install(site, "no_entry_points", "")
    assert found() == metadata_finds() == []
    assert found("console_scripts") == metadata_finds("console_scripts") != []


@pytest.mark.parametrize("suffix", [".dist-info", ".egg-info"])
def test_a_declared_plugin_is_found_as_metadata_finds_it(site, suffix):
    install(site, "winlang_fake", "[winlang]\nfake = winlang_fake_plugin\n", suffix)
    assert found() == metadata_finds() == [("fake", "winlang_fake_plugin")]


def test_an_installed_plugin_still_takes_over_a_builtin_channel(site):
    (site / "winlang_fake_plugin.py").write_text(PLUGIN)
    declared = "[console_scripts]\nx = y:z\n\n[winlang]\nfake = winlang_fake_plugin\n"
    install(site, "winlang_fake", declared)
    try:
        hook = make_plugin_manager().hook
        channel = hook.winlang_channel(plugin="outbox", name="sms", settings={"path": "x"})
        assert channel is sys.modules["winlang_fake_plugin"].TAKEN
    finally:
        sys.modules.pop("winlang_fake_plugin", None)


def test_a_zip_on_the_path_is_read_by_importlib_metadata(site, tmp_path, monkeypatch):
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("winlang_zip-1.0.dist-info/METADATA", "Name: winlang_zip\nVersion: 1.0\n")
        zipped.writestr("winlang_zip-1.0.dist-info/entry_points.txt", "[winlang]\nz = zmod\n")
    monkeypatch.syspath_prepend(str(archive))
    assert found() == metadata_finds() == [("z", "zmod")]


def test_a_finder_that_lists_other_distributions_is_asked_too(site, monkeypatch):
    class Plugin(importlib.metadata.Distribution):
        def read_text(self, filename):
            texts = {"METADATA": "Name: winlang_elsewhere\nVersion: 1.0\n"}
            texts["entry_points.txt"] = "[winlang]\nelsewhere = elsewhere_plugin\n"
            return texts.get(filename)

        def locate_file(self, path):
            return Path(path)

    class Finder:
        @staticmethod
        def find_spec(*args, **kwargs):
            return None

        @staticmethod
        def find_distributions(context=None):
            return iter([Plugin()])

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder])
    assert found() == metadata_finds() == [("elsewhere", "elsewhere_plugin")]
