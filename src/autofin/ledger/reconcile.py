"""Bank reconciliation matching (银行对账勾对). Pure: statement lines and book lines in, pairs out.

A statement line matches a journal line on the bank account's cash account when the signed amounts are equal
(+ money in = a debit to cash) and the dates are at most ``window_days`` apart. A reference match comes first:
the statement's reference (摘要/流水号) found in the voucher number, source id, description or counterparty of
the journal line's entry (or the other way round). Among equal candidates the nearest date wins, then the
earliest line. Each line is used once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

MIN_REFERENCE = 3  # shorter references ("1", "ok") would match by accident


@dataclass(frozen=True)
class BankItem:
    id: int
    value_date: date
    amount: Decimal  # + money in
    reference: str = ""


@dataclass(frozen=True)
class BookItem:
    line_id: int
    business_date: date
    amount: Decimal  # debit − credit on the cash account (+ money in)
    references: tuple[str, ...] = ()  # voucher number, source id, description, counterparty


def reference_matches(reference: str, references: Sequence[str]) -> bool:
    needle = reference.strip().lower()
    if len(needle) < MIN_REFERENCE:
        return False
    for text in references:
        other = (text or "").strip().lower()
        if len(other) < MIN_REFERENCE:
            continue
        if needle in other or other in needle:
            return True
    return False


def match(bank: Sequence[BankItem], book: Sequence[BookItem], window_days: int = 3) -> list[tuple[int, int]]:
    """Pairs ``(bank item id, book line id)``, reference matches first, then amount-and-date matches."""
    if window_days < 0:
        raise ValueError("the date window must not be negative")
    pairs: list[tuple[int, int]] = []
    used_bank: set[int] = set()
    used_book: set[int] = set()
    ordered_bank = sorted(bank, key=lambda item: (item.value_date, item.id))
    for by_reference in (True, False):
        for item in ordered_bank:
            if item.id in used_bank:
                continue
            best: tuple[int, date, int] | None = None
            for line in book:
                if line.line_id in used_book or line.amount != item.amount:
                    continue
                distance = abs((line.business_date - item.value_date).days)
                if distance > window_days:
                    continue
                if by_reference and not reference_matches(item.reference, line.references):
                    continue
                key = (distance, line.business_date, line.line_id)
                if best is None or key < best:
                    best = key
            if best is not None:
                pairs.append((item.id, best[2]))
                used_bank.add(item.id)
                used_book.add(best[2])
    return pairs
