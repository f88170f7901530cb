"""The gateway's tables: messages, encounters, fee lines, settlements

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00

Issue 17 part 2: the platform-shaped gateway (POST /fsi/api/rsfComIfsService/callService)
keeps every message it answered with success and its reply (idempotency by msgid), the
encounters (门诊挂号 / 入院办理) with 就医地, 参保地 and 异地就医备案 status, the uploaded fee
detail with each line's split, and each settlement and reversal as its own record. New tables
only: nothing already stored changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_messages",
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("infno", sa.String(length=8), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=False),
        sa.Column("opter", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("msgid", name=op.f("pk_gateway_messages")),
    )
    op.create_index(
        "ix_gateway_messages_fixmedins_code_infno",
        "gateway_messages",
        ["fixmedins_code", "infno"],
        unique=False,
    )
    op.create_table(
        "gateway_encounters",
        sa.Column("mdtrt_id", sa.String(length=40), nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("med_type", sa.String(length=6), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("fixmedins_name", sa.String(length=200), nullable=False),
        sa.Column("hosp_lv", sa.String(length=2), nullable=False),
        sa.Column("dedc_hosp_lv", sa.String(length=2), nullable=False),
        sa.Column("mdtrtarea_admvs", sa.String(length=6), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("out_flag", sa.String(length=1), nullable=False),
        sa.Column("rcd_stas", sa.String(length=1), nullable=False),
        sa.Column("rcd_type", sa.String(length=6), nullable=False),
        sa.Column("ipt_otp_no", sa.String(length=40), nullable=False),
        sa.Column("begntime", sa.DateTime(), nullable=False),
        sa.Column("endtime", sa.DateTime(), nullable=True),
        sa.Column("dise_codg", sa.String(length=40), nullable=False),
        sa.Column("dise_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("settled_until", sa.Date(), nullable=True),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["psn_no"], ["persons.psn_no"], name=op.f("fk_gateway_encounters_psn_no_persons")
        ),
        sa.PrimaryKeyConstraint("mdtrt_id", name=op.f("pk_gateway_encounters")),
    )
    op.create_index(
        op.f("ix_gateway_encounters_fixmedins_code"),
        "gateway_encounters",
        ["fixmedins_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_gateway_encounters_psn_no"), "gateway_encounters", ["psn_no"], unique=False
    )
    op.create_table(
        "gateway_fee_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mdtrt_id", sa.String(length=40), nullable=False),
        sa.Column("feedetl_sn", sa.String(length=30), nullable=False),
        sa.Column("chrg_bchno", sa.String(length=30), nullable=False),
        sa.Column("med_list_codg", sa.String(length=50), nullable=False),
        sa.Column("medins_list_codg", sa.String(length=150), nullable=False),
        sa.Column("med_list_name", sa.String(length=200), nullable=False),
        sa.Column("fee_ocur_time", sa.DateTime(), nullable=False),
        sa.Column("cnt", sa.String(length=20), nullable=False),
        sa.Column("pric", sa.String(length=20), nullable=False),
        sa.Column("det_item_fee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("fulamt_ownpay_amt", sa.BigInteger(), nullable=False),
        sa.Column("overlmt_amt", sa.BigInteger(), nullable=False),
        sa.Column("preselfpay_amt", sa.BigInteger(), nullable=False),
        sa.Column("inscp_scp_amt", sa.BigInteger(), nullable=False),
        sa.Column("chrgitm_lv", sa.String(length=3), nullable=False),
        sa.Column("selfpay_prop_bp", sa.Integer(), nullable=False),
        sa.Column("pric_uplmt_amt", sa.BigInteger(), nullable=True),
        sa.Column("med_chrgitm_type", sa.String(length=6), nullable=False),
        sa.Column("lmt_used_flag", sa.String(length=1), nullable=False),
        sa.Column("split_source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("setl_id", sa.String(length=64), nullable=True),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("cancel_msgid", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["mdtrt_id"],
            ["gateway_encounters.mdtrt_id"],
            name=op.f("fk_gateway_fee_lines_mdtrt_id_gateway_encounters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_fee_lines")),
    )
    op.create_index(
        "ix_gateway_fee_lines_mdtrt_id_status",
        "gateway_fee_lines",
        ["mdtrt_id", "status"],
        unique=False,
    )
    op.create_table(
        "gateway_settlements",
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("refers_to", sa.String(length=64), nullable=True),
        sa.Column("mdtrt_id", sa.String(length=40), nullable=False),
        sa.Column("psn_no", sa.String(length=40), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=20), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("clr_type", sa.String(length=6), nullable=False),
        sa.Column("clr_way", sa.String(length=6), nullable=False),
        sa.Column("clr_optins", sa.String(length=6), nullable=False),
        sa.Column("mid_setl_flag", sa.String(length=1), nullable=False),
        sa.Column("setl_time", sa.DateTime(), nullable=False),
        sa.Column("medfee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("fund_pay_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("acct_pay", sa.BigInteger(), nullable=False),
        sa.Column("psn_cash_pay", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reversed_by", sa.String(length=64), nullable=True),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mdtrt_id"],
            ["gateway_encounters.mdtrt_id"],
            name=op.f("fk_gateway_settlements_mdtrt_id_gateway_encounters"),
        ),
        sa.PrimaryKeyConstraint("setl_id", name=op.f("pk_gateway_settlements")),
    )
    op.create_index(
        "ix_gateway_settlements_fixmedins_code_setl_time",
        "gateway_settlements",
        ["fixmedins_code", "setl_time"],
        unique=False,
    )
    op.create_index(
        op.f("ix_gateway_settlements_mdtrt_id"), "gateway_settlements", ["mdtrt_id"], unique=False
    )
    op.create_index(
        op.f("ix_gateway_settlements_psn_no"), "gateway_settlements", ["psn_no"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_settlements_psn_no"), table_name="gateway_settlements")
    op.drop_index(op.f("ix_gateway_settlements_mdtrt_id"), table_name="gateway_settlements")
    op.drop_index(
        "ix_gateway_settlements_fixmedins_code_setl_time", table_name="gateway_settlements"
    )
    op.drop_table("gateway_settlements")
    op.drop_index("ix_gateway_fee_lines_mdtrt_id_status", table_name="gateway_fee_lines")
    op.drop_table("gateway_fee_lines")
    op.drop_index(op.f("ix_gateway_encounters_psn_no"), table_name="gateway_encounters")
    op.drop_index(op.f("ix_gateway_encounters_fixmedins_code"), table_name="gateway_encounters")
    op.drop_table("gateway_encounters")
    op.drop_index("ix_gateway_messages_fixmedins_code_infno", table_name="gateway_messages")
    op.drop_table("gateway_messages")
