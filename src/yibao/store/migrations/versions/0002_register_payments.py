"""payment records and mdtrt_id

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:50:00

参保缴费 becomes a record (issue 13): each contribution payment carries its payment id (the
idempotency key), kind (缴费 / 补缴 / 退费 / 冲正), reason, the record it refers to, the paying
fund of the subsidy and the quote it was checked against. Settlements carry the 就诊ID.
Existing payments get the id ``LEGACY-<id>`` and kind 缴费.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contribution_payments") as batch:
        batch.add_column(sa.Column("payment_id", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="缴费")
        )
        batch.add_column(
            sa.Column("subsidy_fund", sa.String(length=40), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("applied_category", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("quoted_personal", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("quoted_subsidy", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("refers_to", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("created_by", sa.String(length=100), nullable=False, server_default="")
        )
    op.execute("UPDATE contribution_payments SET payment_id = 'LEGACY-' || CAST(id AS VARCHAR(20))")
    with op.batch_alter_table("contribution_payments") as batch:
        batch.alter_column("payment_id", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("kind", server_default=None)
        batch.alter_column("subsidy_fund", server_default=None)
        batch.alter_column("reason", server_default=None)
        batch.alter_column("created_by", server_default=None)
        batch.create_unique_constraint("uq_contribution_payments_payment_id", ["payment_id"])
    with op.batch_alter_table("settlements") as batch:
        batch.add_column(sa.Column("mdtrt_id", sa.String(length=64), nullable=True))
        batch.create_index("ix_settlements_mdtrt_id", ["mdtrt_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("settlements") as batch:
        batch.drop_index("ix_settlements_mdtrt_id")
        batch.drop_column("mdtrt_id")
    with op.batch_alter_table("contribution_payments") as batch:
        batch.drop_constraint("uq_contribution_payments_payment_id", type_="unique")
        for name in (
            "created_by",
            "refers_to",
            "reason",
            "quoted_subsidy",
            "quoted_personal",
            "applied_category",
            "subsidy_fund",
            "kind",
            "payment_id",
        ):
            batch.drop_column(name)
