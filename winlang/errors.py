"""Errors that mean the user's data or setup is wrong, not winlang: the CLI prints them as one
clear line. Kept free of heavy imports so every command can name them cheaply."""


class DataError(Exception):
    """The store's data does not fit the campaign: a missing column, a wrong type, a value
    that does not parse. The message names the table, the column and a sample value."""


class PushdownError(Exception):
    """A construct this database can't express; raised before anything runs."""


class EngineError(Exception):
    """The requested engine can't run on this store (e.g. ``--engine sql`` on Parquet)."""


class StateError(DataError):
    """winlang's state database can't be used: unreadable, damaged, locked, read-only for a
    run, from a newer winlang, or not winlang's. The message names the database and the
    problem; the command line exits 2 (a project that can't be used)."""
