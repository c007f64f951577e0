"""Disbursement (放款) and credit lines (授信): use cases in ``service.py`` and ``credit_lines.py``, contract
preparation over HTTP in ``contract_flow.py``, tables in ``models.py``, bodies in ``schemas.py``, the HTTP edge in
``api.py``, the re-send job in ``jobs.py`` and the demo walk in ``demo.py``."""
