"""winlang-chat: a chat-app channel for winlang, built as any third-party plugin is."""

__version__ = "0.1.0"
