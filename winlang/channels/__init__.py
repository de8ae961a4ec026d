"""The built-in channels: ``console``, ``outbox`` (the default), ``smtp`` and ``webhook``.

They are registered through the ``winlang_channel`` hook by :mod:`winlang.channels.builtin`,
exactly as an installed plugin would be. :mod:`winlang.channels.settings` and
:mod:`winlang.channels.http` are public helpers that third-party channels may use too.
"""
