"""Printed forms (结算单, 缴费凭证) as one-page PDFs, drawn server-side with fpdf2 in a CJK
font from Debian's packages (fonts-wqy-microhei; scripts/ensure-fonts.sh installs it).

A form is a ``Slip``: a title, label/value fields laid two to a row, an amounts table (yuan,
already formatted), notes (the clauses cited) and a footer. The HTML print page and the PDF are
drawn from the same slip, so they cannot disagree."""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

# TrueType CJK fonts Debian ships (a .ttc collection: face 0 is the regular one). fpdf2 embeds
# a subset with a ToUnicode map, so the PDF's text can be searched and extracted.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"),
)
PAGE_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}  # ISO 216, portrait width × height
FONT_ENV = "YIBAO_PDF_FONT"  # a path to another TrueType CJK font


class FontMissing(RuntimeError):
    """No CJK font on this machine: the PDF cannot be drawn (the HTML form still prints)."""


@dataclass(frozen=True)
class Slip:
    title: str
    subtitle: str
    fields: list[tuple[str, str]]
    amounts: list[tuple[str, str]]  # label, yuan text ("1,234.56")
    notes: list[str] = field(default_factory=list)
    notes_title: str = "政策依据"
    banner: str = ""  # e.g. 已撤销 … : printed in red above the fields
    footer: list[str] = field(default_factory=list)
    page_size: str = "A4"  # A4 portrait or A5 landscape


def font_path() -> Path:
    chosen = os.environ.get(FONT_ENV)
    for path in (Path(chosen),) if chosen else FONT_CANDIDATES:
        if path.is_file():
            return path
    raise FontMissing(
        "file: 服务器未安装中文字体（fonts-wqy-microhei），无法生成PDF；"
        "请运行 scripts/ensure-fonts.sh，或使用浏览器打印本页"
    )


# The full CJK font has ~50,000 glyphs and fpdf2 reads all of them for every document (1.2 s).
# Its GB2312 part (6,763 汉字, ASCII, CJK and full-width punctuation: 7,700 characters) is cut
# out once per machine into a cache file, which reads in 0.25 s; a form with a character outside
# it (a rare name) is drawn with the full font.
FONT_CACHE = Path(tempfile.gettempdir()) / "yibao-fonts"
_EXTRA = (0xB7, 0xD7, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2116, 0x2192, 0x2212)
_common: dict[Path, tuple[Path, frozenset[int]] | None] = {}
_common_lock = threading.Lock()


def _gb2312() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    chars.update(_EXTRA)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def common_font(full: Path) -> tuple[Path, frozenset[int]] | None:
    """The GB2312 cut of ``full`` (built once, kept in FONT_CACHE) and the characters it has;
    None when it cannot be built (the full font is used then)."""
    with _common_lock:
        if full in _common:
            return _common[full]
        try:
            from fontTools import subset
            from fontTools.ttLib import TTFont

            stat = full.stat()
            target = FONT_CACHE / f"{full.stem}-gb2312-{stat.st_size}-{int(stat.st_mtime)}.ttf"
            if not target.is_file():
                font = TTFont(str(full), fontNumber=0)
                options = subset.Options()
                options.notdef_outline = True
                options.name_IDs = ["*"]
                options.layout_features = []
                options.hinting = False
                options.drop_tables += ["FFTM"]
                cutter = subset.Subsetter(options)
                cutter.populate(unicodes=_gb2312())
                cutter.subset(font)
                FONT_CACHE.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(f".{os.getpid()}.part")
                font.save(str(partial))
                partial.replace(target)  # atomic: another process never reads half a font
            have = frozenset(TTFont(str(target)).getBestCmap())
            _common[full] = (target, have)
        except Exception:
            _common[full] = None
        return _common[full]


def _font_for(slip: Slip) -> tuple[Path, int]:
    full = font_path()
    cut = common_font(full)
    if cut is not None and set(map(ord, _all_text(slip))) <= cut[1]:
        return cut[0], 0
    return full, 0


def _all_text(slip: Slip) -> str:
    parts = [slip.title, slip.subtitle, slip.banner, *slip.notes, *slip.footer]
    parts += [x for pair in slip.fields for x in pair] + [x for pair in slip.amounts for x in pair]
    return "".join(parts) + "费用与支付（金额单位：元）……另有条依据见系统结算单页面0123456789. "


def render(slip: Slip) -> bytes:
    from fpdf import FPDF  # imported here: only the PDF routes need it

    font, face = _font_for(slip)
    landscape = slip.page_size == "A5"
    size = PAGE_MM.get(slip.page_size, PAGE_MM["A4"])
    pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format=size)
    pdf.set_margins(12, 10, 12)
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(slip.title)
    pdf.set_creator("yibao 城乡居民医保经办系统")
    pdf.add_font("cjk", "", str(font), collection_font_number=face)
    pdf.add_page()
    small = 8 if landscape else 9
    body = 9 if landscape else 10.5
    line = 5.4 if landscape else 6.6

    pdf.set_font("cjk", size=15 if landscape else 17)
    pdf.cell(0, 9, slip.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=small)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 5, slip.subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    if slip.banner:
        pdf.ln(1)
        pdf.set_font("cjk", size=body)
        pdf.set_text_color(176, 58, 46)
        pdf.multi_cell(0, line, slip.banner, border=1, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)

    pdf.set_font("cjk", size=body)
    pdf.set_fill_color(227, 233, 241)
    width = pdf.epw
    label_w, value_w = width * 0.16, width * 0.34
    pairs = list(slip.fields)
    for i in range(0, len(pairs), 2):
        for label, value in pairs[i : i + 2]:
            pdf.cell(label_w, line, label, border=1, fill=True)
            pdf.cell(value_w, line, _fit(pdf, value, value_w), border=1)
        if len(pairs[i : i + 2]) == 1:
            pdf.cell(label_w, line, "", border=1, fill=True)
            pdf.cell(value_w, line, "", border=1)
        pdf.ln(line)

    if slip.amounts:
        pdf.ln(2)
        pdf.cell(0, line, "费用与支付（金额单位：元）", new_x="LMARGIN", new_y="NEXT")
        cols = 3
        label_w, value_w = width / cols * 0.58, width / cols * 0.42
        rows = list(slip.amounts)
        for i in range(0, len(rows), cols):
            chunk = rows[i : i + cols]
            for label, value in chunk:
                pdf.cell(label_w, line, label, border=1, fill=True)
                pdf.cell(value_w, line, value, border=1, align="R")
            for _ in range(cols - len(chunk)):
                pdf.cell(label_w, line, "", border=1, fill=True)
                pdf.cell(value_w, line, "", border=1)
            pdf.ln(line)

    if slip.notes:
        pdf.ln(2)
        pdf.set_font("cjk", size=body)
        pdf.cell(0, line, slip.notes_title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=small - 0.5)
        bottom = pdf.h - 22
        for n, note in enumerate(slip.notes, start=1):
            if pdf.get_y() > bottom:  # one page: say what was left off rather than overflow
                pdf.cell(0, 4, f"……另有 {len(slip.notes) - n + 1} 条依据见系统结算单页面")
                pdf.ln(4)
                break
            pdf.multi_cell(0, 4, f"{n}. {note}", align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("cjk", size=small)
    pdf.set_y(pdf.h - 10 - 5 * len(slip.footer))
    for text in slip.footer:
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _fit(pdf: object, text: str, width: float) -> str:
    """The text cut to the cell's width (with …) so a long value never breaks the grid."""
    measure = pdf.get_string_width  # type: ignore[attr-defined]
    if measure(text) <= width - 2:
        return text
    while text and measure(text + "…") > width - 2:
        text = text[:-1]
    return text + "…"
