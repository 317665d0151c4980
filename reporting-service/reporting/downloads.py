"""A yearly table as a file to download: a CSV that Excel opens as it is, or an XLSX workbook.

A double-clicked CSV is read in the computer's own locale: in Dutch and French (Belgian, French, Dutch)
locales Excel splits on `;`, reads `,` as the decimal mark, and takes the bytes for the Windows code page
unless a byte-order mark says UTF-8. So the default CSV is `;`-separated with decimal commas and a BOM;
`sep=,` gives the plain one for programs (RFC 4180: `,`, decimal points, no BOM). Both end lines in CRLF.
The workbook has the table on its first sheet (a header row of the columns, then the rows with the totals,
numbers as numbers), and how it is counted on a second.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reporting.reports import Row, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Separator = Literal[";", ","]
BOM = "\ufeff"
# Characters Excel refuses in a sheet's name, which is at most 31 characters long.
SHEET_NAME_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def as_csv(table: Table, sep: Separator = ";") -> str:
    """The table as CSV text: for Excel with `;` (BOM, decimal commas), for programs with `,`."""
    for_excel = sep == ";"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(row.get(column), for_excel) for column in table.columns] for row in table.rows)
    return (BOM if for_excel else "") + out.getvalue()


def _csv_cell(value: object, decimal_comma: bool) -> object:
    if isinstance(value, float) and decimal_comma:
        return repr(value).replace(".", ",")
    return "" if value is None else value


def as_xlsx(table: Table, name: str, title: str | None, counted_by: str) -> bytes:
    """The table as a workbook: the sheet `name` with a header row and the rows, then a sheet of notes."""
    book = Workbook()
    sheet = book.active
    sheet.title = name.translate(SHEET_NAME_FORBIDDEN)[:31]
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([row.get(column) for column in table.columns])
    for cell in (c for r in sheet.iter_rows() for c in r if c.data_type == "f"):
        cell.data_type = "s"  # openpyxl takes a string starting with `=` for a formula: a label is never one
    bold = Font(bold=True)
    for cell in (*sheet[1], *(c for r in sheet.iter_rows(min_row=2) if _is_total(r[0].value) for c in r)):
        cell.font = bold
    sheet.freeze_panes = "A2"  # the header stays in view while scrolling
    for letter, width in _widths(table).items():
        sheet.column_dimensions[letter].width = width
    notes = book.create_sheet("notes")
    for line in filter(None, [title, counted_by, *table.notes]):
        notes.append([line])
    book.properties.title = title or name
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _is_total(value: object) -> bool:
    return value == "total"


def _widths(table: Table) -> dict[str, int]:
    def longest(column: str, rows: list[Row]) -> int:
        return max([len(column), *(len(str(r.get(column, ""))) for r in rows)])

    return {get_column_letter(i): min(60, longest(c, table.rows) + 2) for i, c in enumerate(table.columns, start=1)}
