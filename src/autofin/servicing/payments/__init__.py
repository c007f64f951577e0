"""Edges (HTTP routes, commands) of direct debit, statement import and refunds; the use cases live in
``servicing/debit.py``, ``statements.py`` and ``refunds.py``."""
