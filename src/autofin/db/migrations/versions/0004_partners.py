"""origination: second-party intake (第二方进件) — partners, used nonces, partner applications, status callbacks

Revision ID: 0004_partners
Revises: 0001
Create Date: 2026-11-24 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autofin.db.types

revision = '0004_partners'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
STAMP = autofin.db.types.UTCDateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column('id', BIG_ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        'origination_partners',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('key_id', sa.String(length=40), nullable=False),
        sa.Column('secret_enc', sa.String(length=300), nullable=False),
        sa.Column('secret_rotated_at', STAMP, nullable=False),
        sa.Column('allowed_ips', sa.JSON(), nullable=False),
        sa.Column('rate_limit_per_minute', sa.Integer(), nullable=False),
        sa.Column('callback_url', sa.String(length=500), nullable=True),
        sa.Column('mappings', sa.JSON(), nullable=False),
        sa.Column('department_id', sa.BigInteger(), nullable=False),
        sa.Column('description', sa.String(length=500), nullable=False),
        _id(),
        sa.Column('created_at', STAMP, nullable=False),
        sa.Column('updated_at', STAMP, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_partners')),
        sa.UniqueConstraint('code', name=op.f('uq_origination_partners_code')),
        sa.UniqueConstraint('key_id', name=op.f('uq_origination_partners_key_id')),
    )
    with op.batch_alter_table('origination_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_partners_department_id'), ['department_id'], unique=False)

    op.create_table(
        'origination_partner_nonces',
        sa.Column('partner_id', sa.BigInteger(), nullable=False),
        sa.Column('nonce', sa.String(length=64), nullable=False),
        sa.Column('expires_at', STAMP, nullable=False),
        _id(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_partner_nonces')),
        sa.UniqueConstraint('partner_id', 'nonce', name=op.f('uq_origination_partner_nonces_partner_id_nonce')),
    )
    with op.batch_alter_table('origination_partner_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_partner_nonces_expires_at'), ['expires_at'], unique=False)

    op.create_table(
        'origination_partner_applications',
        sa.Column('partner_id', BIG_ID, nullable=False),
        sa.Column('application_id', BIG_ID, nullable=False),
        sa.Column('order_no', sa.String(length=64), nullable=False),
        sa.Column('notified_status', sa.String(length=16), nullable=False),
        sa.Column('created_at', STAMP, nullable=False),
        _id(),
        sa.ForeignKeyConstraint(
            ['application_id'], ['origination_applications.id'],
            name='fk_origination_partner_applications_application',
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['partner_id'], ['origination_partners.id'],
            name='fk_origination_partner_applications_partner', ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_partner_applications')),
        sa.UniqueConstraint('application_id', name=op.f('uq_origination_partner_applications_application_id')),
        sa.UniqueConstraint(
            'partner_id', 'order_no', name=op.f('uq_origination_partner_applications_partner_id_order_no')
        ),
    )
    with op.batch_alter_table('origination_partner_applications', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_origination_partner_applications_partner_id'), ['partner_id'], unique=False
        )

    op.create_table(
        'origination_partner_callbacks',
        sa.Column('partner_id', BIG_ID, nullable=False),
        sa.Column('application_id', sa.BigInteger(), nullable=False),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', STAMP, nullable=True),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('delivered_at', STAMP, nullable=True),
        sa.Column('created_at', STAMP, nullable=False),
        _id(),
        sa.ForeignKeyConstraint(
            ['partner_id'], ['origination_partners.id'],
            name='fk_origination_partner_callbacks_partner', ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_partner_callbacks')),
    )
    with op.batch_alter_table('origination_partner_callbacks', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_origination_partner_callbacks_application_id'), ['application_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_origination_partner_callbacks_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(
            'ix_origination_partner_callbacks_due', ['status', 'next_attempt_at'], unique=False
        )

    op.create_table(
        'origination_partner_callback_attempts',
        sa.Column('delivery_id', BIG_ID, nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('at', STAMP, nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('response_excerpt', sa.String(length=500), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        _id(),
        sa.ForeignKeyConstraint(
            ['delivery_id'], ['origination_partner_callbacks.id'],
            name='fk_origination_partner_callback_attempts_delivery',
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_partner_callback_attempts')),
    )
    with op.batch_alter_table('origination_partner_callback_attempts', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_origination_partner_callback_attempts_delivery_id'), ['delivery_id'], unique=False
        )


def downgrade() -> None:
    op.drop_table('origination_partner_callback_attempts')
    op.drop_table('origination_partner_callbacks')
    op.drop_table('origination_partner_applications')
    op.drop_table('origination_partner_nonces')
    op.drop_table('origination_partners')
