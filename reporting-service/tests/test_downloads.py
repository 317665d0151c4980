"""The downloads of a yearly table, without I/O: what Excel and programs read back from them."""

import csv
import io

from openpyxl import load_workbook

from reporting.downloads import as_csv, as_xlsx
from reporting.reports import Table

TABLE = Table(["category", "label", "cases", "share_pct", "average"], [
    {"category": "a", "label": 'Overlast; "lawaai"', "cases": 2, "share_pct": 66.7, "average": None},
    {"category": "b", "label": "=SUM(A1:A2)", "cases": 1, "share_pct": 33.3, "average": 4.5},
    {"category": "total", "label": "Totaal", "cases": 3, "share_pct": 100.0, "average": 4.5}], ["A note."])


def test_a_csv_for_excel_quotes_a_label_with_its_separator_and_reads_back():
    text = as_csv(TABLE)
    assert text.startswith("\ufeffcategory;label;cases;share_pct;average\r\n")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    assert rows[1] == ["a", 'Overlast; "lawaai"', "2", "66,7", ""]


def test_a_csv_for_programs_has_commas_decimal_points_and_no_byte_order_mark():
    rows = list(csv.DictReader(io.StringIO(as_csv(TABLE, ","), newline="")))
    assert rows[-1] == {"category": "total", "label": "Totaal", "cases": "3", "share_pct": "100.0", "average": "4.5"}


def test_a_label_that_looks_like_a_formula_stays_text_in_the_workbook():
    book = load_workbook(io.BytesIO(as_xlsx(TABLE, "a/name:longer than excel's limit of 31", "Title", "Counted.")))
    sheet, notes = book.worksheets
    assert sheet.title == "a-name-longer than excel's limi"  # 31 characters
    assert sheet["B3"].value == "=SUM(A1:A2)" and sheet["B3"].data_type == "s"
    assert sheet["C4"].value == 3 and sheet["D4"].value == 100.0 and sheet["A4"].font.b
    assert [r[0] for r in notes.iter_rows(values_only=True)] == ["Title", "Counted.", "A note."]
