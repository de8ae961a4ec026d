"""``winlang lsp``: a language server over stdio, so an editor shows the checker's findings as
the user types, completes fields and names, and explains and navigates a campaign.

Only :mod:`.server` needs pygls and lsprotocol (the ``lsp`` extra); the other modules are pure
and answer in winlang's own terms (spans, diagnostics), turned into LSP's by the server.
"""
