"""Reading and judging a city list's rows, before anything is written (no database)."""

import random
from datetime import date

from services.enrollment.imports import COLUMNS, count_rows, prepare_chunk, read_rows
from tests.support.city_lists import city_workers, csv_bytes

TODAY = date(2026, 11, 12)


def test_rows_are_numbered_as_a_spreadsheet_shows_them():
    header = ",".join(COLUMNS)
    content = (
        f"\ufeff{header}\r\n"
        "7371034703850001,Sitti,1985-03-07\r\n"
        "\r\n"  # a blank row: skipped, still counted
        ",,,,\r\n"  # an emptied row: the same
        '7371030101900002,Baso,1990-01-01,M,0812,"Jl. Veteran\r\nLorong 3"\r\n'  # an address on two lines
        "7371030202900003,Ngai\r\n"
    ).encode()

    rows = list(read_rows(content))

    assert [number for number, _ in rows] == [2, 5, 6]
    assert rows[1][1]["address"] == "Jl. Veteran\r\nLorong 3"
    assert rows[2][1]["phone"] == ""  # a short row: the missing columns are empty
    assert count_rows(content) == 3


async def test_a_nik_listed_twice_is_enrolled_from_its_first_row_only():
    rows = city_workers(3, random.Random(5), today=TODAY)
    rows.append(dict(rows[0]))
    first_row_of: dict[str, int] = {}

    chunk = await prepare_chunk(list(read_rows(csv_bytes(rows))), first_row_of, TODAY)

    assert [e.nik for e in chunk.enrolments] == [r["nik"] for r in rows[:3]]
    assert [(number, [e["type"] for e in errors]) for number, errors in chunk.rejections] == [
        (5, ["nik_duplicate_in_file"])
    ]
    assert "row 2 of this file" in chunk.rejections[0][1][0]["msg"]


async def test_a_row_breaking_several_rules_is_rejected_naming_each_field():
    row = city_workers(1, random.Random(6), today=TODAY)[0]
    row.update(kecamatan="Sungguminasa", monthly_income="500000", phone="0411 872345")

    chunk = await prepare_chunk(list(read_rows(csv_bytes([row]))), {}, TODAY)

    assert chunk.enrolments == []
    assert [(number, sorted((tuple(e["loc"]), e["type"]) for e in errors)) for number, errors in chunk.rejections] == [
        (
            2,
            [
                (("kecamatan",), "kecamatan_unknown"),
                (("monthly_income",), "income_out_of_range"),
                (("phone",), "phone_invalid"),
            ],
        )
    ]
