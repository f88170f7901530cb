"""预警 and 监管 records with their workflow steps

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:00:00

Issue 16: the 因病返贫致贫预警 (warning_records) and the 智能监管疑点 (supervision_records) are
stored once scanned, with their status; every step taken on a record (review_steps) keeps who,
when, the note and, for 认定, the 扣款 in fen. The older ``warnings`` table is left as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_type", sa.String(length=12), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("from_status", sa.String(length=8), nullable=False),
        sa.Column("to_status", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_steps")),
    )
    op.create_index(
        "ix_review_steps_record", "review_steps", ["record_type", "record_id"], unique=False
    )
    op.create_table(
        "supervision_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hit_key", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=20), nullable=False),
        sa.Column("rule_name", sa.String(length=60), nullable=False),
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=40), nullable=False),
        sa.Column("township", sa.String(length=100), nullable=False),
        sa.Column("vola_cont", sa.Text(), nullable=False),
        sa.Column("vola_amt", sa.BigInteger(), nullable=False),
        sa.Column("sev_deg", sa.String(length=8), nullable=False),
        sa.Column("vola_evid", sa.Text(), nullable=False),
        sa.Column("vola_bhvr_type", sa.String(length=40), nullable=False),
        sa.Column("fund_pay_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("finding", sa.String(length=8), nullable=False),
        sa.Column("deduction", sa.BigInteger(), nullable=True),
        sa.Column("appeal", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_supervision_records_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_records")),
        sa.UniqueConstraint("hit_key", name=op.f("uq_supervision_records_hit_key")),
    )
    for name, columns in (
        ("ix_supervision_records_scope_institution", ["region", "year", "fixmedins_code"]),
        ("ix_supervision_records_scope_rule", ["region", "year", "rule_id"]),
        ("ix_supervision_records_scope_status", ["region", "year", "status"]),
        ("ix_supervision_records_scope_township", ["region", "year", "township"]),
        ("ix_supervision_records_setl_id", ["setl_id"]),
    ):
        op.create_index(name, "supervision_records", columns, unique=False)
    op.create_table(
        "warning_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("township", sa.String(length=100), nullable=False),
        sa.Column("categories", sa.String(length=400), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("medfee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("fund_pay_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("standard_multiple_bp", sa.Integer(), nullable=False),
        sa.Column("top_claims", sa.JSON(), nullable=False),
        sa.Column("reaches_line", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("pushed_to", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_warning_records_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_records")),
        sa.UniqueConstraint("psn_no", "year", "kind", name="uq_warning_records_psn_no_year_kind"),
    )
    op.create_index(
        "ix_warning_records_scope_status",
        "warning_records",
        ["region", "year", "status"],
        unique=False,
    )
    op.create_index(
        "ix_warning_records_scope_township",
        "warning_records",
        ["region", "year", "township"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("warning_records")
    op.drop_table("supervision_records")
    op.drop_table("review_steps")
