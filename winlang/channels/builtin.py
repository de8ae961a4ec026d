"""The built-in channels, registered through the same hooks as any installed plugin.

>>> winlang_channel("outbox", "sms", {"path": "sms.jsonl", "root": "/tmp"}).plugin
'outbox'
>>> winlang_channel("carrier-pigeon", "sms", {}) is None
True
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from ..contracts.channel import Channel
from ..hookspecs import hookimpl

# Each plugin name's channel class, by module: imported only when a channel of that plugin is
# made, so a project of outboxes never loads the HTTP or SMTP clients.
FACTORIES: dict[str, str] = {
    "console": "console:ConsoleChannel",
    "outbox": "outbox:OutboxChannel",
    "smtp": "smtp:SmtpChannel",
    "webhook": "webhook:WebhookChannel",
}


@hookimpl(trylast=True)  # installed plugins are asked first and may take over a name
def winlang_channel(plugin: str, name: str, settings: Mapping[str, object]) -> Channel | None:
    if plugin not in FACTORIES:
        return None
    module, attribute = FACTORIES[plugin].split(":")
    channel_class = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
    return channel_class.from_settings(name, settings)


@hookimpl
def winlang_plugin_names() -> list[str]:
    return list(FACTORIES)
