"""servicing: direct-debit mandates and attempts, bank statement imports, refunds; channels: payment direction

Revision ID: 0006_direct_debit
Revises: 0001
Create Date: 2026-11-24 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autofin.db.types

revision = '0006_direct_debit'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
STAMP = autofin.db.types.UTCDateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column('id', BIG_ID, autoincrement=True, nullable=False)


def _timestamps() -> list[sa.Column[object]]:
    return [sa.Column('created_at', STAMP, nullable=False), sa.Column('updated_at', STAMP, nullable=False)]


def upgrade() -> None:
    with op.batch_alter_table('channel_payment_instruction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=8), nullable=False, server_default='pay'))

    op.create_table('servicing_debit_mandates',
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('card_id', sa.BigInteger(), nullable=False),
    sa.Column('card_masked', sa.String(length=32), nullable=False),
    sa.Column('bank_name', sa.String(length=64), nullable=False),
    sa.Column('holder_name', sa.String(length=100), nullable=False),
    sa.Column('authorised_on', sa.Date(), nullable=False),
    sa.Column('authorisation_ref', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    _id(), *_timestamps(),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['servicing_loans.id'],
                            name=op.f('fk_servicing_debit_mandates_loan_id_servicing_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicing_debit_mandates')),
    )
    with op.batch_alter_table('servicing_debit_mandates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicing_debit_mandates_loan_id'), ['loan_id'], unique=False)

    op.create_table('servicing_debit_attempts',
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('mandate_id', sa.BigInteger(), nullable=False),
    sa.Column('installment', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('amount', autofin.db.types.Money(), nullable=True),
    sa.Column('payment_instruction_id', sa.BigInteger(), nullable=True),
    sa.Column('transaction_id', sa.BigInteger(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', STAMP, nullable=False),
    sa.Column('settled_at', STAMP, nullable=True),
    _id(),
    sa.ForeignKeyConstraint(['loan_id'], ['servicing_loans.id'],
                            name=op.f('fk_servicing_debit_attempts_loan_id_servicing_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicing_debit_attempts')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_servicing_debit_attempts_idempotency_key')),
    sa.UniqueConstraint('loan_id', 'installment', 'attempt',
                        name=op.f('uq_servicing_debit_attempts_loan_id_installment_attempt')),
    )
    with op.batch_alter_table('servicing_debit_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicing_debit_attempts_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_servicing_debit_attempts_scheduled_on'), ['scheduled_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_servicing_debit_attempts_status'), ['status'], unique=False)

    op.create_table('servicing_statement_imports',
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('new_lines', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('unmatched', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.BigInteger(), nullable=True),
    _id(), *_timestamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicing_statement_imports')),
    )
    with op.batch_alter_table('servicing_statement_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicing_statement_imports_file_hash'), ['file_hash'], unique=False)

    op.create_table('servicing_statement_lines',
    sa.Column('import_id', BIG_ID, nullable=False),
    sa.Column('line_hash', sa.String(length=64), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('amount', autofin.db.types.Money(), nullable=False),
    sa.Column('payer_name', sa.String(length=100), nullable=False),
    sa.Column('payer_account_masked', sa.String(length=40), nullable=False),
    sa.Column('payer_account_hash', sa.String(length=64), nullable=False),
    sa.Column('memo', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('match_rule', sa.String(length=16), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=True),
    sa.Column('transaction_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    _id(), *_timestamps(),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['servicing_statement_imports.id'],
                            name=op.f('fk_servicing_statement_lines_import_id_servicing_statement_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicing_statement_lines')),
    sa.UniqueConstraint('line_hash', name=op.f('uq_servicing_statement_lines_line_hash')),
    )
    with op.batch_alter_table('servicing_statement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicing_statement_lines_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_servicing_statement_lines_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_servicing_statement_lines_payer_account_hash'), ['payer_account_hash'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_servicing_statement_lines_status'), ['status'], unique=False)

    op.create_table('servicing_refunds',
    sa.Column('loan_id', BIG_ID, nullable=False),
    sa.Column('amount', autofin.db.types.Money(), nullable=False),
    sa.Column('card_id', sa.BigInteger(), nullable=False),
    sa.Column('card_masked', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by', sa.BigInteger(), nullable=True),
    sa.Column('reviewed_by', sa.BigInteger(), nullable=True),
    sa.Column('review_note', sa.String(length=200), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('payment_instruction_id', sa.BigInteger(), nullable=True),
    sa.Column('transaction_id', sa.BigInteger(), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=False),
    _id(), *_timestamps(),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['servicing_loans.id'],
                            name=op.f('fk_servicing_refunds_loan_id_servicing_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicing_refunds')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_servicing_refunds_idempotency_key')),
    )
    with op.batch_alter_table('servicing_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_servicing_refunds_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_servicing_refunds_status'), ['status'], unique=False)


def downgrade() -> None:
    for table in ('servicing_refunds', 'servicing_statement_lines', 'servicing_statement_imports',
                  'servicing_debit_attempts', 'servicing_debit_mandates'):
        op.drop_table(table)
    with op.batch_alter_table('channel_payment_instruction', schema=None) as batch_op:
        batch_op.drop_column('direction')
