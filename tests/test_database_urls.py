"""winlang.database_urls reads URLs as SQLAlchemy's make_url does, without importing it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from winlang.database_urls import parse_url, same_database, state_url_problem

URLS = [
    "sqlite:///shop.db",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:////abs/path%20with%20space.db",
    "postgresql://db/shop",
    "postgresql+psycopg://ada:p%40ss@db:5433/shop?sslmode=require&b=2&b=1",
    "postgresql://[::1]:5432/shop",
    "postgresql://user@/shop?host=/var/run/postgresql",
    "duckdb:///shop.duckdb",
    "mysql+pymysql://u:pw@h/d",
]


@pytest.mark.parametrize("url", URLS)
def test_parts_and_shown_form_are_sqlalchemys(url):
    theirs, ours = sa.engine.make_url(url), parse_url(url)
    assert ours.shown() == theirs.render_as_string(hide_password=True)
    assert (ours.backend, ours.host, ours.port, ours.database, ours.username) == (
        theirs.get_backend_name(),
        theirs.host,
        theirs.port,
        theirs.database,
        theirs.username,
    )


@pytest.mark.parametrize("text", ["shop.db", "not a url", "://x", ""])
def test_what_sqlalchemy_refuses_is_refused(text):
    with pytest.raises(sa.exc.ArgumentError):
        sa.engine.make_url(text)
    with pytest.raises(ValueError):
        parse_url(text)
    assert "is not a database URL" in state_url_problem(text)


def test_the_same_database_however_it_is_spelled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert same_database("sqlite:///a/../shop.db", f"sqlite:///{tmp_path}/shop.db")
    assert not same_database("sqlite:///shop.db", "sqlite:///other.db")
    assert same_database("postgresql://db/shop?x=1", "postgresql+psycopg://u:pw@db:5432/shop?x=1")
    assert not same_database("postgresql://db/shop", "postgresql://db/shop?x=1")
    assert "is the store's" in state_url_problem("sqlite:///shop.db", "sqlite:///./shop.db")
