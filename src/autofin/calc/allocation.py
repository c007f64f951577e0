"""Payment allocation (还款冲销顺序): split a payment over the buckets of overdue and due installments.

The default order is penalty → fees → interest → principal, installment by installment, oldest first
(``by="installment"``); ``by="bucket"`` takes one bucket across every installment (oldest first) before the next.
Named orders: ``default``, ``principal_first``, ``interest_first``; any permutation of the four buckets may be
given instead. Whatever is left after every bucket is empty is reported as ``excess``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from autofin.kernel.errors import invalid
from autofin.kernel.money import ZERO

Bucket = Literal["penalty", "fees", "interest", "principal"]
AllocationBy = Literal["installment", "bucket"]
BUCKETS: Final[tuple[Bucket, ...]] = ("penalty", "fees", "interest", "principal")
ORDERS: Final[dict[str, tuple[Bucket, ...]]] = {
    "default": ("penalty", "fees", "interest", "principal"),
    "principal_first": ("principal", "interest", "fees", "penalty"),
    "interest_first": ("interest", "principal", "fees", "penalty"),
}
CODE: Final = "calc.allocation.invalid"


@dataclass(frozen=True, slots=True)
class DueItem:
    """What one installment still owes, bucket by bucket."""

    number: int
    due_date: date
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalty


@dataclass(frozen=True, slots=True)
class AllocationLine:
    number: int
    bucket: Bucket
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """Where a payment went: ``lines`` in the order applied, the sum per bucket, the ``excess`` left over and
    the ``remaining`` dues after the payment."""

    payment: Decimal
    lines: tuple[AllocationLine, ...]
    penalty: Decimal
    fees: Decimal
    interest: Decimal
    principal: Decimal
    excess: Decimal
    remaining: tuple[DueItem, ...]

    @property
    def allocated(self) -> Decimal:
        return self.penalty + self.fees + self.interest + self.principal


def resolve_order(order: str | Sequence[str]) -> tuple[Bucket, ...]:
    """A named order or a permutation of the four buckets, checked."""
    if isinstance(order, str):
        if order not in ORDERS:
            raise invalid("order", f"allocation order {order!r} is unknown: use one of {', '.join(ORDERS)}",
                          f"冲销顺序 {order!r} 无效：应为 {'、'.join(ORDERS)} 之一", code=CODE)
        return ORDERS[order]
    buckets = tuple(order)
    if sorted(buckets) != sorted(BUCKETS):
        raise invalid("order", "an allocation order must list penalty, fees, interest and principal once each",
                      "冲销顺序须包含 penalty、fees、interest、principal 各一次", code=CODE)
    return buckets  # type: ignore[return-value]  # checked to be a permutation of BUCKETS just above


def allocate(payment: Decimal, dues: Sequence[DueItem], order: str | Sequence[str] = "default",
             by: AllocationBy = "installment") -> Allocation:
    """Split ``payment`` over ``dues`` (sorted oldest first here) in ``order``; never more than the payment,
    never more than a bucket holds."""
    if payment < ZERO:
        raise invalid("payment", "a payment must be zero or more", "还款金额不能为负数", code=CODE)
    if by not in ("installment", "bucket"):
        raise invalid("by", "allocation by must be installment or bucket", "冲销方式应为 installment 或 bucket",
                      code=CODE)
    buckets = resolve_order(order)
    items = sorted(dues, key=lambda item: (item.due_date, item.number))
    owed = [{bucket: getattr(item, bucket) for bucket in BUCKETS} for item in items]
    if by == "installment":
        steps = [(i, bucket) for i in range(len(items)) for bucket in buckets]
    else:
        steps = [(i, bucket) for bucket in buckets for i in range(len(items))]
    left = payment
    lines: list[AllocationLine] = []
    sums = dict.fromkeys(BUCKETS, ZERO)
    for index, bucket in steps:
        if left <= ZERO:
            break
        holds = owed[index][bucket]
        if holds <= ZERO:
            continue
        taken = holds if holds < left else left
        owed[index][bucket] = holds - taken
        left -= taken
        sums[bucket] += taken
        lines.append(AllocationLine(items[index].number, bucket, taken))
    remaining = tuple(replace(item, **owed[i]) for i, item in enumerate(items))
    return Allocation(payment, tuple(lines), sums["penalty"], sums["fees"], sums["interest"], sums["principal"],
                      left, remaining)
