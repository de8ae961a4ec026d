"""The contracts every layer meets: the bottom of the import graph.

What a data source gives (:mod:`.source`), what the engine asks winlang's state
(:mod:`.state`), what a channel plugin takes and answers (:mod:`.message`, :mod:`.channel`),
and the errors that cross these boundaries (:mod:`.errors`). These modules import nothing of
winlang but the language's types and schema, and no heavy library at import time, so the hook
specifications (:mod:`winlang.hookspecs`) and any plugin can name them cheaply. See
``docs/architecture.md`` for the layers above.
"""
