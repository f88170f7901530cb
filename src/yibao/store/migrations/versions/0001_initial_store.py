"""initial store

Revision ID: 0001
Revises:
Create Date: 2026-11-24 00:21:29.320700
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)
    op.create_table(
        "households",
        sa.Column("hh_id", sa.String(length=40), nullable=False),
        sa.Column("admdvs", sa.String(length=12), nullable=False),
        sa.Column("addr", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("hh_id", name=op.f("pk_households")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_users_token_sha256")),
    )
    op.create_table(
        "persons",
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("certno", sa.String(length=18), nullable=False),
        sa.Column("psn_name", sa.String(length=100), nullable=False),
        sa.Column("gend", sa.String(length=1), nullable=False),
        sa.Column("brdy", sa.Date(), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("hh_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hh_id"], ["households.hh_id"], name=op.f("fk_persons_hh_id_households")
        ),
        sa.PrimaryKeyConstraint("psn_no", name=op.f("pk_persons")),
        sa.UniqueConstraint("certno", name=op.f("uq_persons_certno")),
    )
    op.create_table(
        "accumulators",
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("pool_paid", sa.JSON(), nullable=False),
        sa.Column("deductible_used", sa.JSON(), nullable=False),
        sa.Column("critical_eligible", sa.BigInteger(), nullable=False),
        sa.Column("critical_paid", sa.BigInteger(), nullable=False),
        sa.Column("assistance_eligible", sa.BigInteger(), nullable=False),
        sa.Column("assistance_paid", sa.BigInteger(), nullable=False),
        sa.Column("settlements", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_accumulators_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("psn_no", "year", name=op.f("pk_accumulators")),
    )
    op.create_table(
        "claims",
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_claims_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("setl_id", name=op.f("pk_claims")),
    )
    op.create_index(op.f("ix_claims_psn_no"), "claims", ["psn_no"], unique=False)
    op.create_table(
        "contribution_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("personal_paid", sa.BigInteger(), nullable=False),
        sa.Column("assistance_subsidy", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_contribution_payments_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_payments")),
    )
    op.create_index(
        op.f("ix_contribution_payments_psn_no"), "contribution_payments", ["psn_no"], unique=False
    )
    op.create_table(
        "enrollments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("coverage_begin", sa.Date(), nullable=True),
        sa.Column("coverage_end", sa.Date(), nullable=True),
        sa.Column("situation", sa.String(length=20), nullable=False),
        sa.Column("coverage_rule", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_enrollments_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
        sa.UniqueConstraint("psn_no", "year", name="uq_enrollments_psn_no_year"),
    )
    op.create_index(op.f("ix_enrollments_psn_no"), "enrollments", ["psn_no"], unique=False)
    op.create_table(
        "person_categories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("begin_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_person_categories_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_categories")),
    )
    op.create_index(
        op.f("ix_person_categories_psn_no"), "person_categories", ["psn_no"], unique=False
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("handled_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_warnings_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
    )
    op.create_index(op.f("ix_warnings_psn_no"), "warnings", ["psn_no"], unique=False)
    op.create_table(
        "settlements",
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=12), nullable=False),
        sa.Column("setl_time", sa.DateTime(), nullable=False),
        sa.Column("medfee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("fulamt_ownpay_amt", sa.BigInteger(), nullable=False),
        sa.Column("overlmt_selfpay", sa.BigInteger(), nullable=False),
        sa.Column("preselfpay_amt", sa.BigInteger(), nullable=False),
        sa.Column("inscp_scp_amt", sa.BigInteger(), nullable=False),
        sa.Column("act_pay_dedc", sa.BigInteger(), nullable=False),
        sa.Column("hifp_pay", sa.BigInteger(), nullable=False),
        sa.Column("pool_prop_selfpay", sa.String(length=20), nullable=False),
        sa.Column("hifmi_pay", sa.BigInteger(), nullable=False),
        sa.Column("maf_pay", sa.BigInteger(), nullable=False),
        sa.Column("oth_pay", sa.BigInteger(), nullable=False),
        sa.Column("fund_pay_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("psn_part_amt", sa.BigInteger(), nullable=False),
        sa.Column("psn_cash_pay", sa.BigInteger(), nullable=False),
        sa.Column("balc", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("acc_before", sa.JSON(), nullable=False),
        sa.Column("acc_after", sa.JSON(), nullable=False),
        sa.Column("consumed", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reversed_by", sa.String(length=100), nullable=True),
        sa.Column("reversed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_settlements_psn_no_persons")
        ),
        sa.ForeignKeyConstraint(
            ["setl_id"], ["claims.setl_id"], name=op.f("fk_settlements_setl_id_claims")
        ),
        sa.PrimaryKeyConstraint("setl_id", name=op.f("pk_settlements")),
    )
    op.create_index("ix_settlements_psn_no_year", "settlements", ["psn_no", "year"], unique=False)
    op.create_table(
        "setldetail",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("fund_pay_type", sa.String(length=6), nullable=False),
        sa.Column("fund_payamt", sa.BigInteger(), nullable=False),
        sa.Column("inscp_scp_amt", sa.BigInteger(), nullable=False),
        sa.Column("crt_payb_lmt_amt", sa.BigInteger(), nullable=True),
        sa.Column("setl_proc_info", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["setl_id"], ["settlements.setl_id"], name=op.f("fk_setldetail_setl_id_settlements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setldetail")),
    )
    op.create_index(op.f("ix_setldetail_setl_id"), "setldetail", ["setl_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_setldetail_setl_id"), table_name="setldetail")
    op.drop_table("setldetail")
    op.drop_index("ix_settlements_psn_no_year", table_name="settlements")
    op.drop_table("settlements")
    op.drop_index(op.f("ix_warnings_psn_no"), table_name="warnings")
    op.drop_table("warnings")
    op.drop_index(op.f("ix_person_categories_psn_no"), table_name="person_categories")
    op.drop_table("person_categories")
    op.drop_index(op.f("ix_enrollments_psn_no"), table_name="enrollments")
    op.drop_table("enrollments")
    op.drop_index(op.f("ix_contribution_payments_psn_no"), table_name="contribution_payments")
    op.drop_table("contribution_payments")
    op.drop_index(op.f("ix_claims_psn_no"), table_name="claims")
    op.drop_table("claims")
    op.drop_table("accumulators")
    op.drop_table("persons")
    op.drop_table("users")
    op.drop_table("households")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_table("audit_log")
