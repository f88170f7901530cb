"""持居住证 flag on persons

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:00:00

A person registered on a 居住证 (持居住证参保) gets the fiscal subsidy of locals where the policy
says so (resident_permit_same_subsidy: 池州 一、5, 内蒙古 三, 咸宁 一); the quote needs to know.
Existing persons are recorded as not holding one (False).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column("resident_permit", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("persons") as batch:
        batch.alter_column("resident_permit", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("resident_permit")
