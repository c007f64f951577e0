"""Servicing special business: requests (application → review → execution), classification history, and three
columns of the loan account (restructured_until, rebased_after_transaction_id, repayment_card_id).

Revision ID: 0005_special_business
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autofin.db.types

revision = "0005_special_business"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('servicing_loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restructured_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('rebased_after_transaction_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('repayment_card_id', sa.BigInteger(), nullable=True))

    op.create_table('servicing_special_requests',
    sa.Column('loan_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('amount', autofin.db.types.Money(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('preview', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('approval_permission', sa.String(length=64), nullable=False),
    sa.Column('approvals_needed', sa.Integer(), nullable=False),
    sa.Column('approvals', sa.JSON(), nullable=False),
    sa.Column('department_id', sa.BigInteger(), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=True),
    sa.Column('applicant_id', sa.BigInteger(), nullable=True),
    sa.Column('applicant_name', sa.String(length=64), nullable=False),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('decided_at', autofin.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.String(length=500), nullable=False),
    sa.Column('executed_by', sa.BigInteger(), nullable=True),
    sa.Column('executed_at', autofin.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('created_at', autofin.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', autofin.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['servicing_loans.id'],
                            name=op.f('fk_servicing_special_requests_loan_id_servicing_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicing_special_requests')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_servicing_special_requests_idempotency_key'))
    )
    with op.batch_alter_table('servicing_special_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicing_special_requests_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index('ix_servicing_special_requests_queue', ['status', 'kind'], unique=False)

    op.create_table('servicing_classification_history',
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('from_class', sa.String(length=16), nullable=False),
    sa.Column('to_class', sa.String(length=16), nullable=False),
    sa.Column('from_rank', sa.Integer(), nullable=False),
    sa.Column('to_rank', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('request_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', autofin.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicing_classification_history'))
    )
    with op.batch_alter_table('servicing_classification_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicing_classification_history_loan_id'), ['loan_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('servicing_classification_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_servicing_classification_history_loan_id'))
    op.drop_table('servicing_classification_history')
    with op.batch_alter_table('servicing_special_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_servicing_special_requests_queue')
        batch_op.drop_index(batch_op.f('ix_servicing_special_requests_loan_id'))
    op.drop_table('servicing_special_requests')
    with op.batch_alter_table('servicing_loans', schema=None) as batch_op:
        batch_op.drop_column('repayment_card_id')
        batch_op.drop_column('rebased_after_transaction_id')
        batch_op.drop_column('restructured_until')
