"""The console's |beijing filter: stored timestamps are naive UTC; the pages show 北京时间
(UTC+8) as "YYYY-MM-DD HH:MM"."""

from __future__ import annotations

import datetime as dt

from yibao.web.templating import beijing, environment


def test_naive_utc_becomes_beijing_time_across_midnight_and_year_end():
    assert beijing(dt.datetime(2023, 12, 31, 16, 0)) == "2024-01-01 00:00"
    assert beijing(dt.datetime(2023, 12, 31, 15, 59, 59)) == "2023-12-31 23:59"
    assert beijing(dt.datetime(2024, 2, 28, 20, 30)) == "2024-02-29 04:30"
    assert beijing(dt.datetime(2023, 6, 1, 3, 5)) == "2023-06-01 11:05"


def test_iso_text_as_in_the_settlement_document_and_empty_values():
    assert beijing("2023-10-03T17:45:12.123456") == "2023-10-04 01:45"
    assert beijing(None) == ""
    assert beijing("") == ""


def test_an_aware_time_is_converted_from_its_own_zone():
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert beijing(dt.datetime(2023, 1, 1, 0, 30, tzinfo=tokyo)) == "2022-12-31 23:30"


def test_the_templates_have_the_filter():
    html = environment.from_string("{{ t|beijing }}").render(t=dt.datetime(2023, 3, 1, 16, 1))
    assert html == "2023-03-02 00:01"
