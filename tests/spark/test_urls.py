"""Spark store URLs and settings, without a session: parsing, the config keys, and the one
line a user without Java gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from winlang.config import load_config
from winlang.contracts.errors import DataError
from winlang.sources import open_source
from winlang.sources.spark import SparkSource, java_missing, local_defaults, open_session


def load(tmp_path: Path, text: str):
    path = tmp_path / "winlang.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_spark_urls_open_spark_sources_without_starting_spark() -> None:
    folder = open_source("spark:///data/shop")
    connect = open_source("sc://spark.example.com:15002")
    assert isinstance(folder, SparkSource) and isinstance(connect, SparkSource)
    assert (folder.kind, folder.where) == ("folder", "/data/shop")
    assert (connect.kind, connect.where) == ("connect", "sc://spark.example.com:15002")
    assert folder._session is None  # opening is cheap: the session starts on first use


def test_master_and_spark_settings_come_from_the_store_table(tmp_path: Path) -> None:
    config, diagnostics = load(
        tmp_path,
        '[store]\nurl = "spark:///data/shop"\nmaster = "spark://head:7077"\n\n'
        '[store.spark]\n"spark.executor.memory" = "4g"\n"spark.sql.adaptive.enabled" = true\n'
        '"spark.sql.shuffle.partitions" = 64\n',
    )
    assert diagnostics == ()
    source = open_source(config.store.url, settings=config.store.settings())
    assert source.master == "spark://head:7077"
    assert source.settings == {
        "spark.executor.memory": "4g",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.shuffle.partitions": "64",
    }


def test_a_store_without_spark_settings_opens_local(tmp_path: Path) -> None:
    config, _ = load(tmp_path, '[store]\nurl = "spark:///data/shop"\n')
    assert config.store.settings() == {}
    assert open_source(config.store.url).master == "local[*]"


def test_a_spark_setting_that_is_a_table_is_a_config_error(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, '[store.spark]\n"spark.x" = { a = 1 }\n')
    assert [d.code for d in diagnostics] == ["E703"]
    assert "`spark.x` must be a text, a number or true/false" in diagnostics[0].message


def test_local_masters_get_as_many_shuffle_partitions_as_cores() -> None:
    assert local_defaults("local[4]") == {"spark.sql.shuffle.partitions": "4"}
    assert local_defaults("local[*]")["spark.sql.shuffle.partitions"].isdigit()
    assert local_defaults("yarn") == {}


def test_without_java_a_local_session_is_one_line_naming_what_to_install(monkeypatch) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert "openjdk-17-jre-headless" in (java_missing() or "")
    with pytest.raises(DataError, match=r"needs Java 17 or later.*sc://host:port"):
        open_session("folder", "/data/shop", "local[2]", {})
