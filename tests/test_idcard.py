import datetime as dt

import pytest

from yibao.idcard import IdNumberError, make_id, mask, parse_id


def test_known_valid_number():
    # The standard's worked example: 11010519491231002X
    parsed = parse_id("11010519491231002X")
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "2"
    assert parsed.region == "110105"


def test_lowercase_x_is_accepted():
    assert parse_id("11010519491231002x").number.endswith("X")


def test_bad_check_digit_is_rejected():
    with pytest.raises(IdNumberError, match="check digit"):
        parse_id("110105194912310021")


def test_impossible_birth_date_is_rejected():
    number = make_id("500243", dt.date(2000, 1, 1), 1)
    bad = number[:10] + "0230" + number[14:17]
    from yibao.idcard import check_digit

    with pytest.raises(IdNumberError, match="birth date"):
        parse_id(bad + check_digit(bad))


def test_unknown_province_is_rejected():
    from yibao.idcard import check_digit

    first = "990101200001010011"[:17]
    with pytest.raises(IdNumberError, match="province"):
        parse_id(first + check_digit(first))


def test_wrong_length_names_the_field():
    with pytest.raises(IdNumberError, match="certno"):
        parse_id("12345")


def test_make_id_roundtrip_and_mask():
    number = make_id("421200", dt.date(2022, 2, 28), 7)
    assert parse_id(number).sex == "1"
    assert mask(number) == number[:6] + "********" + number[-4:]
