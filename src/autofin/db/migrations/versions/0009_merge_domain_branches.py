"""merge the domain branches of the second landing into one head

Revision ID: 0009_merge_domain_branches
Revises: 0002_vehicles_gps_loans, 0003_disbursement, 0004_partners, 0005_special_business, 0006_direct_debit,
    0007_risk_training, 0008_review_attachments

Each domain added its tables in its own branch from 0001 (they touch disjoint tables, so their order does not
matter); from here on there is one line again.
"""

from __future__ import annotations

revision = "0009_merge_domain_branches"
down_revision = (
    "0002_vehicles_gps_loans",
    "0003_disbursement",
    "0004_partners",
    "0005_special_business",
    "0006_direct_debit",
    "0007_risk_training",
    "0008_review_attachments",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
