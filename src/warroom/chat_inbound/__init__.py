"""Chat as a transport: what people type and press in Slack and Matrix, turned into the command language and
the flows every other transport calls (``dispatch``), and answered there.

Beside ``api/``, ``web/`` and ``cli/``: it parses, calls a flow or a query, and renders; the platforms' outbound
adapters are in ``integrations/`` and the chat domain (rooms, people, pages) in ``chat/``.
"""
