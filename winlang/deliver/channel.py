"""The name channel plugins written before :mod:`winlang.contracts` import.

The channel contract lives in :mod:`winlang.contracts.channel`; ``docs/plugins.md`` documents
``winlang.deliver.channel.Channel`` as an alias of it.
"""

from ..contracts.channel import Channel

__all__ = ["Channel"]
