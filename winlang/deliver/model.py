"""The names channel plugins written before :mod:`winlang.contracts` import.

The message and channel contracts live in :mod:`winlang.contracts.message` and
:mod:`winlang.contracts.errors`; ``docs/plugins.md`` documents these older names as aliases,
so a plugin importing ``SendResult`` or ``ChannelError`` from here keeps working.
"""

from ..contracts.errors import ChannelError
from ..contracts.message import Message, Outcome, SendResult, idempotency_key

__all__ = ["ChannelError", "Message", "Outcome", "SendResult", "idempotency_key"]
