"""Risk: background training jobs (risk_training_jobs).

Revision ID: 0007_risk_training
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import autofin.db.types

revision = "0007_risk_training"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_training_jobs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('id_column', sa.String(length=100), nullable=True),
    sa.Column('drop_columns', sa.JSON(), nullable=False),
    sa.Column('max_rounds', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_rows', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('error_en', sa.String(length=2000), nullable=True),
    sa.Column('error_zh', sa.String(length=2000), nullable=True),
    sa.Column('model_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('requested_by_id', sa.BigInteger(), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', autofin.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', autofin.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', autofin.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', autofin.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['risk_models.id'], name=op.f('fk_risk_training_jobs_model_id_risk_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_training_jobs'))
    )
    with op.batch_alter_table('risk_training_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_training_jobs_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('risk_training_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_training_jobs_status'))
    op.drop_table('risk_training_jobs')
