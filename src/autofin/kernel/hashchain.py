"""Hash chains: append-only logs where each row's hash covers the previous row's hash and its own content.

Used by the audit trail and the lien registry. A row's hash is
``sha256(previous_hash + canonical JSON of the row's content)``, where canonical JSON means sorted keys, no
whitespace between items and non-ASCII characters kept as they are (UTF-8). The first row links to
:data:`GENESIS_HASH`. Changing anything here changes every stored hash, so existing chains would no longer
verify: the format is fixed.

Pure standard library; no database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64
"""What the first row of a chain links to."""


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data, the same before and after a round trip through a JSON column.

    Decimal → its exact string; date / datetime → ISO 8601; Enum → its value; mappings → dicts with string keys;
    lists and tuples → lists; sets → lists sorted by their string form (so the order is stable). Everything else
    (str, int, float, bool, None) is returned unchanged; containers are converted recursively.
    """
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


def chain_hash(previous_hash: str, content: Mapping[str, Any]) -> str:
    """The hex SHA-256 of ``previous_hash`` followed by the canonical JSON of ``content``.

    ``content`` must already be plain JSON data (pass values through :func:`json_safe`); anything else raises
    ``TypeError`` rather than being hashed in a form a later verification could not reproduce.
    """
    canonical = json.dumps(dict(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()
