"""The console's 批量导入 over HTTP (issue 16): UTF-8 with and without BOM and .xlsx read like
GBK; a row the services refuse (an ID number already registered) is reported by its row number
and the whole file is rolled back; a file without the required headers, or in no known encoding,
gets a Chinese message; only 经办 may import."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from yibao.idcard import make_id
from yibao.store import transaction
from yibao.store.models import Person
from yibao.web.import_table import decode

URL = "/console/import/persons"
HEADER = ["身份证号", "姓名", "参保地", "人员类别"]


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _login(client, token: str) -> str:
    client.cookies.clear()
    client.post("/console/login", data={"token": token}, follow_redirects=False)
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(URL).text).group(1)


def _post(client, csrf: str, name: str, body: bytes):
    return client.post(
        URL, data={"csrf": csrf}, files={"file": (name, body)}, follow_redirects=False
    )


def _count(console_app, certnos) -> int:
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        stmt = select(func.count()).select_from(Person).where(Person.certno.in_(certnos))
        return int(s.scalar(stmt) or 0)


def _csv(rows: list[list[str]]) -> str:
    return "\r\n".join(",".join(r) for r in [HEADER, *rows]) + "\r\n"


def _ids(seed: int, n: int) -> list[str]:
    return [
        make_id("500243", dt.date(1975, 5, 5) + dt.timedelta(days=97 * i), seed + i)
        for i in range(n)
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gbk_reads_the_same(
    client, seeded, console_app, encoding
):
    ids = _ids({"utf-8-sig": 700, "utf-8": 720, "gbk": 740}[encoding], 2)
    csrf = _login(client, seeded.tokens["经办"])
    body = _csv([[ids[0], "冉光荣", "500243", "低保对象"], [ids[1], "冉秀珍", "500243", ""]])
    response = _post(client, csrf, "导入.csv", body.encode(encoding))
    assert response.status_code == 303, response.text[-800:]
    assert "created=2" in response.headers["location"]
    assert _count(console_app, ids) == 2


def test_an_xlsx_file_imports(client, seeded, console_app):
    ids = _ids(760, 2)
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for certno, name in zip(ids, ("谭国富", "谭玉梅"), strict=True):
        book.active.append([certno, name, "500243", None])
    out = io.BytesIO()
    book.save(out)
    response = _post(client, _login(client, seeded.tokens["经办"]), "人员.xlsx", out.getvalue())
    assert response.status_code == 303 and _count(console_app, ids) == 2


def test_an_id_number_excel_stored_as_a_number_is_refused(client, seeded, console_app):
    ids = _ids(820, 1)
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append([int(ids[0][:17] + "0"), "彭德怀", "500243", None])  # 18 digits as a number
    out = io.BytesIO()
    book.save(out)
    response = _post(client, _login(client, seeded.tokens["经办"]), "g.xlsx", out.getvalue())
    assert response.status_code == 422 and "Excel 将身份证号存为数字" in response.text
    assert _count(console_app, [ids[0][:17] + "0"]) == 0


def test_an_id_number_already_registered_is_reported_and_nothing_is_written(
    client, seeded, console_app
):
    ids = _ids(780, 3)
    csrf = _login(client, seeded.tokens["经办"])
    assert (
        _post(
            client, csrf, "a.csv", _csv([[ids[0], "任大勇", "500243", ""]]).encode("gbk")
        ).status_code
        == 303
    )
    rows = [
        [ids[1], "任小勇", "500243", ""],
        [ids[0], "任大勇", "500243", ""],
        [ids[2], "任小芳", "500243", ""],
    ]
    response = _post(client, csrf, "b.csv", _csv(rows).encode("gbk"))
    assert response.status_code == 422
    assert 'data-row="3"' in response.text and "该身份证号已登记" in response.text
    assert "全部未导入" in response.text and "validation" not in response.text
    assert _count(console_app, ids[1:]) == 0  # rows 2 and 4 were good, and rolled back


def test_a_duplicate_within_the_file_names_the_row_it_repeats(client, seeded):
    ids = _ids(800, 1)
    rows = [[ids[0], "向东", "500243", ""], [ids[0], "向东", "500243", ""]]
    response = _post(client, _login(client, seeded.tokens["经办"]), "c.csv", _csv(rows).encode())
    assert response.status_code == 422 and "与第 2 行重复" in response.text


def test_a_file_without_the_required_headers_is_refused_in_chinese(client, seeded):
    csrf = _login(client, seeded.tokens["经办"])
    response = _post(client, csrf, "d.csv", "name,id\r\n张三,1\r\n".encode())
    assert response.status_code == 422
    assert "缺少“身份证号”“姓名”“参保地”列" in response.text
    odd = _post(client, csrf, "e.csv", b"\xff\xfe\x00\xd8\x00\xdc" * 50)
    assert odd.status_code == 422 and "编码" in odd.text


def test_only_a_clerk_may_import(client, seeded):
    csrf = _login(client, seeded.tokens["只读"])
    response = _post(client, csrf, "f.csv", _csv([]).encode())
    assert response.status_code == 403 and "经办" in response.text


def test_gbk_bytes_decode_as_gbk_and_utf8_as_utf8():
    assert decode("身份证号,姓名".encode("gbk")) == "身份证号,姓名"
    assert decode("身份证号,姓名".encode("utf-8-sig")) == "身份证号,姓名"
    assert decode("彭水".encode()) == "彭水"
