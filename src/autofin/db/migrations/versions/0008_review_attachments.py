"""review attachments: the documents a reviewer attached to a decision or a committee vote

Revision ID: 0008_review_attachments
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_review_attachments"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("origination_timeline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("origination_timeline", schema=None) as batch_op:
        batch_op.drop_column("attachment_ids")
