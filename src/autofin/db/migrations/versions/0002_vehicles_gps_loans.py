"""Vehicles: GPS devices and liens bound to servicing loans (vehicle_loans projection, loan_id columns,
gps_installations.removed_on) and the loan's collateral car (servicing_loans.vehicle_id).

Revision ID: 0002_vehicles_gps_loans
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autofin.db.types

revision = "0002_vehicles_gps_loans"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vehicle_loans',
    sa.Column('loan_id', sa.BigInteger(), nullable=False),
    sa.Column('vehicle_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', autofin.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', autofin.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_vehicle_loans_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vehicle_loans')),
    sa.UniqueConstraint('loan_id', name=op.f('uq_vehicle_loans_loan_id'))
    )
    with op.batch_alter_table('vehicle_loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicle_loans_vehicle_id'), ['vehicle_id'], unique=False)

    with op.batch_alter_table('gps_devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loan_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_gps_devices_loan_id'), ['loan_id'], unique=False)

    with op.batch_alter_table('gps_installations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_on', sa.Date(), nullable=True))

    with op.batch_alter_table('vehicle_liens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loan_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_vehicle_liens_loan_id'), ['loan_id'], unique=False)

    with op.batch_alter_table('servicing_loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vehicle_id', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_servicing_loans_vehicle_id'), ['vehicle_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('servicing_loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_servicing_loans_vehicle_id'))
        batch_op.drop_column('vehicle_id')

    with op.batch_alter_table('vehicle_liens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_liens_loan_id'))
        batch_op.drop_column('loan_id')

    with op.batch_alter_table('gps_installations', schema=None) as batch_op:
        batch_op.drop_column('removed_on')

    with op.batch_alter_table('gps_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gps_devices_loan_id'))
        batch_op.drop_column('loan_id')

    with op.batch_alter_table('vehicle_loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_loans_vehicle_id'))

    op.drop_table('vehicle_loans')
