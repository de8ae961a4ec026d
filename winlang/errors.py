"""Errors that mean the user's data or setup is wrong, not winlang: the CLI prints them as one
clear line. Kept free of heavy imports so every command can name them cheaply."""


class DataError(Exception):
    """The store's data does not fit the campaign: a missing column, a wrong type, a value
    that does not parse. The message names the table, the column and a sample value."""


class PushdownError(Exception):
    """A construct this database can't express; raised before anything runs."""


class EngineError(Exception):
    """The requested engine can't run on this store (e.g. ``--engine sql`` on Parquet)."""
