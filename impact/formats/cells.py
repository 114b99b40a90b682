"""Spreadsheet-safe cells: tables as files people open in spreadsheets (CSV and Excel), safe from formula injection."""
from __future__ import annotations

import io

import pandas as pd

# A cell starting with one of these is run as a formula by spreadsheet programs (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made plain text by a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The text `neutralise` protected, as it was (so that an exported file loads back unchanged)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(**{c: frame[c].map(neutralise) for c in text_columns})


def csv_bytes(frame: pd.DataFrame, bom: bool = True) -> bytes:
    """UTF-8 with a byte order mark, so that Excel opens accents right; without one (`bom=False`) for files that
    tools read, such as 360Giving's, whose first header a mark would otherwise hide."""
    return spreadsheet_safe(frame).to_csv(index=False).encode("utf-8-sig" if bom else "utf-8")


def excel_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buffer = io.BytesIO()
    spreadsheet_safe(frame).to_excel(buffer, index=False, sheet_name=sheet[:31], engine="openpyxl")
    return buffer.getvalue()
