"""origination: down-payment receipts, disbursements (放款), credit lines (授信) and their application links

Revision ID: 0003_disbursement
Revises: 0001
Create Date: 2026-11-24 13:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import autofin.db.types

revision = '0003_disbursement'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
STAMP = autofin.db.types.UTCDateTime(timezone=True)
MONEY = autofin.db.types.Money()


def _id() -> sa.Column[int]:
    return sa.Column('id', BIG_ID, autoincrement=True, nullable=False)


def _timestamps() -> list[sa.Column[Any]]:
    return [sa.Column('created_at', STAMP, nullable=False), sa.Column('updated_at', STAMP, nullable=False)]


def upgrade() -> None:
    op.create_table('origination_down_payments',
    sa.Column('application_id', BIG_ID, nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('recorded_by', sa.BigInteger(), nullable=True),
    sa.Column('recorded_at', STAMP, nullable=False),
    _id(),
    sa.CheckConstraint('amount > 0', name=op.f('ck_origination_down_payments_down_payment_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['origination_applications.id'],
                            name=op.f('fk_origination_down_payments_application_id_origination_applications'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_down_payments')),
    )
    with op.batch_alter_table('origination_down_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_down_payments_application_id'), ['application_id'],
                              unique=False)

    op.create_table('origination_disbursements',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('application_id', BIG_ID, nullable=False),
    sa.Column('open_application_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('department_id', sa.BigInteger(), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=True),
    sa.Column('applicant_id', sa.BigInteger(), nullable=False),
    sa.Column('applicant_name', sa.String(length=100), nullable=False),
    sa.Column('contract_no', sa.String(length=20), nullable=False),
    sa.Column('product_code', sa.String(length=32), nullable=False),
    sa.Column('product_version', sa.Integer(), nullable=False),
    sa.Column('credit_line_id', sa.BigInteger(), nullable=True),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('fee_amount', MONEY, nullable=False),
    sa.Column('payout_amount', MONEY, nullable=False),
    sa.Column('rate', autofin.db.types.Rate(), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=24), nullable=False),
    sa.Column('payee_kind', sa.String(length=10), nullable=False),
    sa.Column('payee_card_id', sa.BigInteger(), nullable=True),
    sa.Column('payee_account', sa.String(length=40), nullable=False),
    sa.Column('payee_name', sa.String(length=100), nullable=False),
    sa.Column('payee_bank', sa.String(length=64), nullable=False),
    sa.Column('registered_by', sa.BigInteger(), nullable=True),
    sa.Column('registered_by_name', sa.String(length=64), nullable=False),
    sa.Column('registered_at', STAMP, nullable=False),
    sa.Column('register_comment', sa.Text(), nullable=True),
    sa.Column('reviewed_by', sa.BigInteger(), nullable=True),
    sa.Column('reviewed_by_name', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', STAMP, nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('payment_key', sa.String(length=100), nullable=True),
    sa.Column('payment_instruction_id', sa.BigInteger(), nullable=True),
    sa.Column('bank_reference', sa.String(length=64), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('settled_at', STAMP, nullable=True),
    sa.Column('loan_id', sa.BigInteger(), nullable=True),
    _id(), *_timestamps(),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('registered','rejected','paying','paid','failed')",
                       name=op.f('ck_origination_disbursements_disbursement_status')),
    sa.CheckConstraint("payee_kind IN ('borrower','dealer')",
                       name=op.f('ck_origination_disbursements_disbursement_payee_kind')),
    sa.CheckConstraint('payout_amount > 0', name=op.f('ck_origination_disbursements_disbursement_payout_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['origination_applications.id'],
                            name=op.f('fk_origination_disbursements_application_id_origination_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_disbursements')),
    sa.UniqueConstraint('number', name=op.f('uq_origination_disbursements_number')),
    sa.UniqueConstraint('open_application_id', name=op.f('uq_origination_disbursements_open_application_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_origination_disbursements_idempotency_key')),
    sa.UniqueConstraint('payment_key', name=op.f('uq_origination_disbursements_payment_key')),
    )
    with op.batch_alter_table('origination_disbursements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_disbursements_application_id'), ['application_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_origination_disbursements_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_origination_disbursements_department_id'), ['department_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_origination_disbursements_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_origination_disbursements_credit_line_id'), ['credit_line_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_origination_disbursements_payment_instruction_id'),
                              ['payment_instruction_id'], unique=False)

    op.create_table('origination_credit_lines',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('application_id', BIG_ID, nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('customer_name', sa.String(length=100), nullable=False),
    sa.Column('product_code', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.BigInteger(), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=True),
    sa.Column('limit_amount', MONEY, nullable=False),
    sa.Column('drawn_amount', MONEY, nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    _id(), *_timestamps(),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('active','frozen','closed')",
                       name=op.f('ck_origination_credit_lines_credit_line_status')),
    sa.CheckConstraint('limit_amount > 0', name=op.f('ck_origination_credit_lines_credit_line_limit_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['origination_applications.id'],
                            name=op.f('fk_origination_credit_lines_application_id_origination_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_credit_lines')),
    sa.UniqueConstraint('number', name=op.f('uq_origination_credit_lines_number')),
    sa.UniqueConstraint('application_id', name=op.f('uq_origination_credit_lines_application_id')),
    )
    with op.batch_alter_table('origination_credit_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_credit_lines_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_origination_credit_lines_department_id'), ['department_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_origination_credit_lines_owner_id'), ['owner_id'], unique=False)

    op.create_table('origination_credit_line_links',
    sa.Column('application_id', BIG_ID, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('credit_line_id', BIG_ID, nullable=True),
    sa.Column('validity_months', sa.Integer(), nullable=True),
    _id(),
    sa.CheckConstraint("kind IN ('request','drawdown')", name=op.f('ck_origination_credit_line_links_credit_line_link_kind')),
    sa.ForeignKeyConstraint(['application_id'], ['origination_applications.id'],
                            name=op.f('fk_origination_credit_line_links_application_id_origination_applications'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['credit_line_id'], ['origination_credit_lines.id'],
                            name=op.f('fk_origination_credit_line_links_credit_line_id_origination_credit_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_credit_line_links')),
    sa.UniqueConstraint('application_id', name=op.f('uq_origination_credit_line_links_application_id')),
    )
    with op.batch_alter_table('origination_credit_line_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_credit_line_links_credit_line_id'), ['credit_line_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('origination_credit_line_links')
    op.drop_table('origination_credit_lines')
    op.drop_table('origination_disbursements')
    op.drop_table('origination_down_payments')
