"""Money on the administration side: integers of fen. The calculator speaks yuan (floats rounded to
six places); they are converted once, through Decimal, rounding half up to the fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def to_fen(yuan: float | int | str | Decimal) -> int:
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan_text(fen: int | None) -> str:
    """¥1,234.50 for people; exact, no float involved."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def yuan_decimal(fen: int | None) -> Decimal | None:
    """For spreadsheets: an exact Decimal number of yuan."""
    return None if fen is None else Decimal(fen) / 100
