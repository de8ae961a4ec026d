"""Errors that mean the user's data or setup is wrong, not winlang: the CLI prints them as one
clear line. Kept free of heavy imports so every command can name them cheaply.

Plugins raise them too: a data source reports unreadable data as :class:`DataError`, a channel
refuses bad settings with :class:`ChannelError`.
"""

import reprlib


class DataError(Exception):
    """The store's data does not fit the campaign: a missing column, a wrong type, a value
    that does not parse. The message names the table, the column and a sample value."""


# A hostile value of a megabyte must not become a megabyte of message.
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def wrong_value(table: str, column: str, kind: str, sample: object) -> DataError:
    """The one message for a stored value that is not of its column's kind, whichever engine
    (or source) finds it.

    >>> str(wrong_value("customers", "lifetime_value", "number", "abc"))
    "`customers.lifetime_value` holds 'abc', which is not a number"
    """
    shown = _SHORT.repr(sample)
    article = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
    return DataError(f"`{table}.{column}` holds {shown}, which is not {article} {kind}")


class PushdownError(Exception):
    """A construct this database can't express; raised before anything runs."""


class EngineError(Exception):
    """The requested engine can't run on this store (e.g. ``--engine sql`` on Parquet)."""


class StateError(DataError):
    """winlang's state database can't be used: unreadable, damaged, locked, read-only for a
    run, from a newer winlang, or not winlang's. The message names the database and the
    problem; the command line exits 2 (a project that can't be used)."""


class ChannelError(Exception):
    """A channel that can't be set up (bad settings, missing secret); names the channel.

    ``key``: the ``[channels.NAME]`` setting at fault, when one is (for diagnostics)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
