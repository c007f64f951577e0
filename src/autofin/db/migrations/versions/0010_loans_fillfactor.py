"""servicing_loans leaves 30 % of each page free (PostgreSQL), for in-place updates by the end-of-day batch

Revision ID: 0010_loans_fillfactor
Revises: 0009_merge_domain_branches

Only pages written from now on keep the room; a large existing table gets it on its next rewrite
(``VACUUM FULL servicing_loans`` or pg_repack, in a maintenance window). SQLite has no such setting.
"""

from __future__ import annotations

from alembic import op

revision = "0010_loans_fillfactor"
down_revision = "0009_merge_domain_branches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE servicing_loans SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE servicing_loans RESET (fillfactor)")
