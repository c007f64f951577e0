"""Direct debit (代扣), bank statement import (银行流水) and refunds (退款): use cases in ``debit.py``,
``statements.py`` and ``refunds.py``, their tables in ``models.py``, shapes in ``schemas.py``, edges in ``api.py`` and
``cli.py``."""
