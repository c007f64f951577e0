"""Drop servicing indexes the end-of-day batch pays for every night

Revision ID: 0011_servicing_nightly_indexes
Revises: 0010_loans_fillfactor

``ix_servicing_loans_days_past_due``: days past due changes every night for every overdue loan; while it is
indexed, PostgreSQL cannot update those rows in place (HOT), so each update also wrote an entry into every index of
the loans table. Lists filtered by days past due read the loans table instead.
``ix_servicing_installments_loan_id``: the unique (loan_id, number) index already serves look-ups by loan.
``servicing_accruals`` (about two rows per live loan a night) keeps one index instead of two: unique
(business_day, loan_id, kind) replaces unique (loan_id, business_day, kind) + (business_day).
"""

from __future__ import annotations

from alembic import op

revision = "0011_servicing_nightly_indexes"
down_revision = "0010_loans_fillfactor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("servicing_loans") as batch_op:
        batch_op.drop_index("ix_servicing_loans_days_past_due")
    with op.batch_alter_table("servicing_installments") as batch_op:
        batch_op.drop_index("ix_servicing_installments_loan_id")
    with op.batch_alter_table("servicing_accruals") as batch_op:
        batch_op.drop_index("ix_servicing_accruals_business_day")
        batch_op.drop_constraint("uq_servicing_accruals_loan_id_business_day_kind", type_="unique")
        batch_op.create_unique_constraint("uq_servicing_accruals_business_day_loan_id_kind",
                                          ["business_day", "loan_id", "kind"])


def downgrade() -> None:
    with op.batch_alter_table("servicing_accruals") as batch_op:
        batch_op.drop_constraint("uq_servicing_accruals_business_day_loan_id_kind", type_="unique")
        batch_op.create_unique_constraint("uq_servicing_accruals_loan_id_business_day_kind",
                                          ["loan_id", "business_day", "kind"])
        batch_op.create_index("ix_servicing_accruals_business_day", ["business_day"], unique=False)
    with op.batch_alter_table("servicing_installments") as batch_op:
        batch_op.create_index("ix_servicing_installments_loan_id", ["loan_id"], unique=False)
    with op.batch_alter_table("servicing_loans") as batch_op:
        batch_op.create_index("ix_servicing_loans_days_past_due", ["days_past_due"], unique=False)
