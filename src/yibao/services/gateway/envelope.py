"""The platform's message envelope: validation of the request, the reply, and field readers.

A request (国家医保信息平台 定点医药机构接口规范, the common input):
``infno, msgid, mdtrtarea_admvs, insuplc_admdvs, recer_sys_code, opter, opter_name, inf_time,
fixmedins_code, fixmedins_name, input{…}`` (``dev_no, dev_safe_info, cainfo, signtype,
infver, opter_type, sign_no`` are accepted and kept). ``msgid`` is the sender's message id:
the 12-character institution code, yyyyMMddHHmmss and a 4-digit sequence.

A reply: ``infcode`` (0 success, -1 failure), ``inf_refmsgid`` (the receiver's message id),
``refmsg_time`` (when the message was received), ``respond_time``, ``err_msg`` (Chinese, naming
the field), ``warn_msg``, ``cainfo``, ``signtype``, ``output{…}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from yibao.money import MoneyError, yuan_to_fen

INF_TIME = "%Y-%m-%d %H:%M:%S"
MSGID_RE = re.compile(r"^(?P<code>[0-9A-Z]{12})(?P<time>\d{14})(?P<seq>\d{4})$")
FIXMEDINS_RE = re.compile(r"^[0-9A-Z]{12}$")
ADMDVS_RE = re.compile(r"^\d{6}$")
PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")
# A single amount above 1亿元 is a keying error (as the REST API's MAX_CLAIM_FEN).
MAX_FEN = 100_000_000 * 100

LABELS = {
    "infno": "交易编号",
    "msgid": "发送方报文ID",
    "mdtrtarea_admvs": "就医地医保区划",
    "insuplc_admdvs": "参保地医保区划",
    "recer_sys_code": "接收方系统代码",
    "opter": "经办人",
    "opter_name": "经办人姓名",
    "inf_time": "交易时间",
    "fixmedins_code": "定点医药机构编号",
    "fixmedins_name": "定点医药机构名称",
    "input": "交易输入",
}
OPTIONAL_ENVELOPE = (
    "dev_no",
    "dev_safe_info",
    "cainfo",
    "signtype",
    "infver",
    "opter_type",
    "sign_no",
    "mode",
)


class GatewayError(ValueError):
    """A message the gateway refuses: ``err_msg`` names the field (``path: 说明``)."""


@dataclass(frozen=True)
class Envelope:
    infno: str
    msgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    recer_sys_code: str
    opter: str
    opter_name: str
    inf_time: dt.datetime
    fixmedins_code: str
    fixmedins_name: str
    input: Mapping[str, Any]
    raw: Mapping[str, Any]

    @property
    def out_of_area(self) -> bool:
        """异地就医: the 就医地 is not the 参保地."""
        return bool(self.insuplc_admdvs) and self.insuplc_admdvs != self.mdtrtarea_admvs


def parse_body(body: bytes) -> dict[str, Any]:
    """The request body as JSON; numbers with a fraction are read as Decimal (never float)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)
    except GatewayError:
        raise
    except (UnicodeDecodeError, ValueError) as exc:
        raise GatewayError(f"报文: 不是合法的 UTF-8 JSON（{exc.__class__.__name__}）") from exc
    if not isinstance(data, dict):
        raise GatewayError("报文: 须为 JSON 对象")
    return data


def _no_constant(name: str) -> Any:
    raise GatewayError(f"报文: {name} 不是合法的 JSON 数值")


def plain(value: Any) -> Any:
    """JSON-storable: Decimal as its text (exactly as sent)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def digest(message: Mapping[str, Any]) -> str:
    """The message's content fingerprint: a retry of a msgid must carry the same content."""
    text = json.dumps(plain(dict(message)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(raw: Mapping[str, Any], name: str, max_len: int, required: bool = True) -> str:
    value = raw.get(name)
    label = LABELS.get(name, name)
    if value is None or value == "":
        if required:
            raise GatewayError(f"{name}: 缺少{label}")
        return ""
    if not isinstance(value, str):
        raise GatewayError(f"{name}: {label}须为字符串")
    value = value.strip()
    if len(value) > max_len or not PRINTABLE.match(value):
        raise GatewayError(f"{name}: {label}须为不超过{max_len}字的可打印文字")
    return value


def parse_time(value: Any, name: str, label: str) -> dt.datetime:
    if not isinstance(value, str):
        raise GatewayError(f"{name}: {label}须为 yyyy-MM-dd HH:mm:ss 格式的字符串")
    try:
        return dt.datetime.strptime(value.strip(), INF_TIME)
    except ValueError as exc:
        raise GatewayError(f"{name}: {label}须为 yyyy-MM-dd HH:mm:ss，收到 {value!r}") from exc


def parse_envelope(raw: Mapping[str, Any]) -> Envelope:
    """The envelope checked field by field (the first fault is reported)."""
    infno = _text(raw, "infno", 8)
    if not re.fullmatch(r"\d{4}[A-Z]?", infno):
        raise GatewayError(f"infno: 交易编号须为4位数字，收到 {infno!r}")
    fixmedins_code = _text(raw, "fixmedins_code", 12)
    if not FIXMEDINS_RE.match(fixmedins_code):
        raise GatewayError("fixmedins_code: 定点医药机构编号须为12位大写字母或数字")
    msgid = _text(raw, "msgid", 30)
    match = MSGID_RE.match(msgid)
    if match is None:
        raise GatewayError(
            "msgid: 发送方报文ID须为30位：定点医药机构编号(12位)+yyyyMMddHHmmss(14位)+顺序号(4位)"
        )
    if match["code"] != fixmedins_code:
        raise GatewayError("msgid: 发送方报文ID的前12位须为定点医药机构编号 fixmedins_code")
    try:
        dt.datetime.strptime(match["time"], "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise GatewayError("msgid: 发送方报文ID第13至26位须为有效的 yyyyMMddHHmmss 时间") from exc
    mdtrtarea = _text(raw, "mdtrtarea_admvs", 6)
    if not ADMDVS_RE.match(mdtrtarea):
        raise GatewayError("mdtrtarea_admvs: 就医地医保区划须为6位行政区划代码")
    # 1101 is sent before the hospital knows the person's 参保地: it may be left empty there.
    insuplc = _text(raw, "insuplc_admdvs", 6, required=infno != "1101")
    if insuplc and not ADMDVS_RE.match(insuplc):
        raise GatewayError("insuplc_admdvs: 参保地医保区划须为6位行政区划代码")
    envelope_input = raw.get("input")
    if not isinstance(envelope_input, dict):
        raise GatewayError("input: 缺少交易输入，须为 JSON 对象")
    for name in OPTIONAL_ENVELOPE:
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise GatewayError(f"{name}: 须为字符串")
    return Envelope(
        infno=infno,
        msgid=msgid,
        mdtrtarea_admvs=mdtrtarea,
        insuplc_admdvs=insuplc,
        recer_sys_code=_text(raw, "recer_sys_code", 10),
        opter=_text(raw, "opter", 30),
        opter_name=_text(raw, "opter_name", 50),
        inf_time=parse_time(raw.get("inf_time"), "inf_time", "交易时间"),
        fixmedins_code=fixmedins_code,
        fixmedins_name=_text(raw, "fixmedins_name", 200),
        input=envelope_input,
        raw=raw,
    )


# ------------------------------------------------------------------ replies
_refseq = itertools.count(1)


def receiver_msgid(now: dt.datetime) -> str:
    """inf_refmsgid: the receiver's own message id (yibao + time + a process sequence)."""
    return f"YIBAO{now:%Y%m%d%H%M%S}{next(_refseq) % 1_000_000:06d}"


def reply(
    received: dt.datetime, output: Mapping[str, Any] | None, err_msg: str = "", warn_msg: str = ""
) -> dict[str, Any]:
    now = dt.datetime.now()
    return {
        "infcode": 0 if output is not None else -1,
        "inf_refmsgid": receiver_msgid(received),
        "refmsg_time": received.strftime("%Y%m%d%H%M%S%f")[:17],
        "respond_time": now.strftime("%Y%m%d%H%M%S%f")[:17],
        "err_msg": err_msg,
        "warn_msg": warn_msg,
        "cainfo": "",
        "signtype": "",
        "output": dict(output) if output is not None else {},
    }


# ------------------------------------------------------------------ reading the input
class Fields:
    """Readers for one object of the input (``path`` is where it sits, for the messages)."""

    def __init__(self, data: Any, path: str, labels: Mapping[str, str]) -> None:
        if not isinstance(data, dict):
            raise GatewayError(f"{path}: 须为 JSON 对象")
        self.data: dict[str, Any] = data
        self.path = path
        self.labels = labels

    def where(self, name: str) -> str:
        return f"{self.path}.{name}"

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def fail(self, name: str, message: str) -> GatewayError:
        return GatewayError(f"{self.where(name)}: {self.label(name)}{message}")

    def text(
        self, name: str, max_len: int = 30, required: bool = True, pattern: str | None = None
    ) -> str:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(name, "不能为空")
            return ""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.fail(name, "须为字符串")
        value = value.strip()
        if len(value) > max_len or not PRINTABLE.match(value):
            raise self.fail(name, f"须为不超过{max_len}字的可打印文字")
        if pattern and not re.fullmatch(pattern, value):
            raise self.fail(name, f"格式不正确：{value!r}")
        return value

    def choice(self, name: str, allowed: Mapping[str, str], default: str | None = None) -> str:
        value = self.text(name, 10, required=default is None)
        if not value and default is not None:
            return default
        if value not in allowed:
            known = "、".join(f"{k} {v}" for k, v in allowed.items())
            raise self.fail(name, f"取值 {value!r} 不在代码表中（{known}）")
        return value

    def yuan(self, name: str, required: bool = True, signed: bool = False) -> int:
        """A yuan amount (JSON number or text, at most 2 decimals) as fen."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(name, "不能为空")
            return 0
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise self.fail(name, "须为金额（元，至多两位小数）")
        try:
            fen = yuan_to_fen(value, self.where(name))
        except MoneyError as exc:
            raise self.fail(name, f"须为金额（元，至多两位小数），收到 {value!r}") from exc
        if fen < 0 and not signed:
            raise self.fail(name, "不能为负数")
        if abs(fen) > MAX_FEN:
            raise self.fail(name, "超过 100000000 元")
        return fen

    def decimal(self, name: str, required: bool = True) -> Decimal:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(name, "不能为空")
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise self.fail(name, "须为数值")
        try:
            number = Decimal(str(value))
        except ArithmeticError as exc:
            raise self.fail(name, f"须为数值，收到 {value!r}") from exc
        if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
            raise self.fail(name, f"须为有限数值，收到 {value!r}")
        return number

    def time(self, name: str, required: bool = True) -> dt.datetime | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(name, "不能为空")
            return None
        return parse_time(value, self.where(name), self.label(name))

    def date(self, name: str, required: bool = True) -> dt.date | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(name, "不能为空")
            return None
        if not isinstance(value, str):
            raise self.fail(name, "须为 yyyy-MM-dd 日期")
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise self.fail(name, f"须为 yyyy-MM-dd 日期，收到 {value!r}") from exc

    def rows(self, name: str, max_rows: int = 2000) -> list[Fields]:
        value = self.data.get(name)
        if not isinstance(value, list) or not value:
            raise self.fail(name, "须为非空数组")
        if len(value) > max_rows:
            raise self.fail(name, f"一次至多{max_rows}条")
        return [Fields(v, f"{self.where(name)}[{i}]", self.labels) for i, v in enumerate(value)]

    def obj(self, name: str) -> Fields:
        return Fields(self.data.get(name), self.where(name), self.labels)
