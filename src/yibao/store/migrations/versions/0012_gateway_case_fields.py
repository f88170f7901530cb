"""病案首页 of a gateway stay: its diagnoses and 离院方式

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:20:00

2401 入院办理 and 2402 出院办理 carry ``diseinfo`` (the stay's diagnoses, one of them the 主诊断)
and 2402 ``dscginfo.dscg_way``; the stay keeps them so that its settlement's claim carries the
病案首页 DRG/DIP groups by (issue 18). Stays admitted before this revision have none (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gateway_encounters") as batch:
        batch.add_column(sa.Column("diag_codes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("dscg_way", sa.String(2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gateway_encounters") as batch:
        batch.drop_column("dscg_way")
        batch.drop_column("diag_codes")
