"""Scheduled job of the customers domain: re-encrypt personal data under the current field encryption key.

After a key rotation (new ``AUTOFIN_FIELD_ENCRYPTION_KEY``, the old one moved to
``AUTOFIN_PREVIOUS_FIELD_ENCRYPTION_KEYS``) values sealed with an old key still decrypt; this job re-seals them,
in batches of short transactions, so the old key can eventually be retired.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autofin.customers import service
from autofin.kernel.actor import SYSTEM
from autofin.platform.service import JobRunContext, declare_job

if TYPE_CHECKING:
    from autofin.bootstrap import App

BATCH_SIZE = 200


def reencrypt_personal_data(app: App, run: JobRunContext) -> dict[str, Any]:
    """Every encrypted column of every table, one batch per unit of work; progress reported after each batch."""
    batch_size = BATCH_SIZE
    counts: dict[str, Any] = {"reencrypted": 0, "batches": 0}
    for model, _columns in service.ENCRYPTED_COLUMNS:
        table = model.__tablename__
        counts[table] = 0
        after_id = 0
        while True:
            with app.uow() as uow:
                last_id, changed = service.reencrypt_batch(uow, SYSTEM, model, after_id, batch_size)
                uow.commit()
            if last_id is None:
                break
            after_id = last_id
            counts[table] += changed
            counts["reencrypted"] += changed
            counts["batches"] += 1
            run.progress(f"{table}: re-encrypted up to id {last_id}", **counts)
    return counts


declare_job(
    "customers.reencrypt_personal_data",
    reencrypt_personal_data,
    "0 3 1 * *",
    "个人信息重新加密（密钥轮换）",
    "Re-encrypt personal data under the current key (key rotation)",
)
