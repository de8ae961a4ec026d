"""Run the winlang CLI with a channel that dies at the worst moment, for the crash tests.

``python -m tests.deliver.crash_plugin run c.win ...`` registers the ``dying-outbox`` plugin
and runs the command line. The channel is an outbox that, on the batch number given by
``WINLANG_DIE_ON_BATCH``, writes the messages (fsynced: the provider has them) and then
kills its own process with SIGKILL before answering, so the ledger never hears of it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence

from winlang.channels.outbox import OutboxChannel
from winlang.deliver.model import Message, SendResult
from winlang.hookspecs import hookimpl
from winlang.plugins import plugin_manager

BATCHES = [0]


class DyingOutbox(OutboxChannel):
    plugin = "dying-outbox"

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        results = super().send(batch)
        BATCHES[0] += 1
        if BATCHES[0] == int(os.environ.get("WINLANG_DIE_ON_BATCH", "0")):
            os.kill(os.getpid(), signal.SIGKILL)
        return results


class Plugin:
    @hookimpl
    def winlang_channel(self, plugin: str, name: str, settings: Mapping[str, object]):
        if plugin != DyingOutbox.plugin:
            return None
        path = settings.get("path", f"outbox/{name}.jsonl")
        return DyingOutbox(os.path.join(str(settings["root"]), str(path)), batch_size=2)


if __name__ == "__main__":
    from winlang.cli import main

    plugin_manager().register(Plugin(), name="dying-outbox")
    main()
