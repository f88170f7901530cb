"""The PDF drawing (web/pdf.py): the text of a form is in the PDF as text (extractable), drawn
with the font's GB2312 cut, and a character outside GB2312 (喆, a GBK name character) falls back
to the full font instead of vanishing."""

from __future__ import annotations

import io

from pypdf import PdfReader

from yibao.web.pdf import Slip, common_font, font_path, render


def _text(slip: Slip) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render(slip))).pages)


def _slip(name: str) -> Slip:
    return Slip(
        title="城乡居民基本医疗保险 医疗费用结算单",
        subtitle="彭水苗族土家族自治县（500243）医疗保障局",
        fields=[("姓名", name), ("身份证号", "500243********1234")],
        amounts=[("大病保险", "19,970.93"), ("个人负担", "9,961.22")],
        notes=["大病保险起付线：彭水医保〔2023〕衔接通知 三（二）2"],
        footer=["打印人：张经办"],
    )


def test_a_common_name_is_drawn_with_the_gb2312_cut():
    cut = common_font(font_path())
    assert cut is not None and ord("周") in cut[1] and ord("喆") not in cut[1]
    text = _text(_slip("周德福"))
    assert "周德福" in text and "19,970.93" in text and "大病保险" in text


def test_a_name_outside_gb2312_falls_back_to_the_full_font():
    text = _text(_slip("李喆"))
    assert "李喆" in text and "9,961.22" in text
