"""commercial supplement subsidy on payment records

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00

A contribution payment records the commercial supplementary insurance bought with it (彭水
三（一）3 渝快保: product), its subsidy (fen) and the fund that pays it, apart from the 资助参保.
Existing payments get no product, 0 and no fund.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("supplement_product", "supplement_subsidy", "supplement_fund")


def upgrade() -> None:
    with op.batch_alter_table("contribution_payments") as batch:
        batch.add_column(
            sa.Column("supplement_product", sa.String(length=40), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("supplement_subsidy", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("supplement_fund", sa.String(length=40), nullable=False, server_default="")
        )
    with op.batch_alter_table("contribution_payments") as batch:
        for name in COLUMNS:
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("contribution_payments") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
