"""Deliver: turn planned messages into sent ones through channel plugins, ledger first."""
