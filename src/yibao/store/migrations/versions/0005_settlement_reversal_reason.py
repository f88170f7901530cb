"""撤销原因 on settlements

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:00:00

结算撤销 asks the reviewer for the reason (issue 16); the settlement keeps it beside reversed_by
and reversed_at. Settlements reversed before this revision have no recorded reason (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("settlements") as batch:
        batch.add_column(sa.Column("reversal_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("settlements") as batch:
        batch.drop_column("reversal_reason")
