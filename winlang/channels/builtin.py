"""The built-in channels, registered through the same hooks as any installed plugin.

>>> winlang_channel("outbox", "sms", {"path": "sms.jsonl", "root": "/tmp"}).plugin
'outbox'
>>> winlang_channel("carrier-pigeon", "sms", {}) is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..contracts.channel import Channel
from ..hookspecs import hookimpl
from .console import ConsoleChannel
from .outbox import OutboxChannel
from .smtp import SmtpChannel
from .webhook import WebhookChannel

FACTORIES: dict[str, Callable[[str, Mapping[str, object]], Channel]] = {
    "console": ConsoleChannel.from_settings,
    "outbox": OutboxChannel.from_settings,
    "smtp": SmtpChannel.from_settings,
    "webhook": WebhookChannel.from_settings,
}


@hookimpl(trylast=True)  # installed plugins are asked first and may take over a name
def winlang_channel(plugin: str, name: str, settings: Mapping[str, object]) -> Channel | None:
    factory = FACTORIES.get(plugin)
    return factory(name, settings) if factory else None


@hookimpl
def winlang_plugin_names() -> list[str]:
    return list(FACTORIES)
