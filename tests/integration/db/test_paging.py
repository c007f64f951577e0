"""Lists answer one page of rows and the total count, the same way on both databases."""

import pytest
from sqlalchemy import MetaData, String, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from autofin.db.paging import fetch_page

scratch = MetaData()


class ScratchBase(DeclarativeBase):
    metadata = scratch


class PagedThing(ScratchBase):
    """A row with a position, to check that pages follow the order asked for."""

    __tablename__ = "test_paged_things"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int]
    colour: Mapped[str] = mapped_column(String(10))


@pytest.fixture()
def things(app_ctx):
    """An app whose scratch table holds ``count`` rows: ids 1..count, position = id, colour red for even ids."""
    scratch.create_all(app_ctx.engine)

    def fill(count: int):
        with app_ctx.uow() as uow:
            uow.session.execute(
                insert(PagedThing),
                [{"id": n, "position": n, "colour": "red" if n % 2 == 0 else "blue"} for n in range(1, count + 1)],
            )
            uow.commit()
        return app_ctx

    yield fill
    scratch.drop_all(app_ctx.engine)


def page_of(app, statement, order, page, size):
    with app.uow() as uow:
        rows, total = fetch_page(uow.session, statement, order, page, size)
        return [row.id for row in rows], total


def test_the_total_counts_every_matching_row_not_just_the_page(things):
    app = things(25)
    ids, total = page_of(app, select(PagedThing), (PagedThing.id,), 1, 10)
    assert total == 25
    assert ids == list(range(1, 11))
    _ids, red = page_of(app, select(PagedThing).where(PagedThing.colour == "red"), (PagedThing.id,), 1, 10)
    assert red == 12


def test_pages_do_not_overlap_and_follow_the_order_asked_for(things):
    app = things(25)
    newest_first = (PagedThing.position.desc(),)
    pages = [page_of(app, select(PagedThing), newest_first, page, 10)[0] for page in (1, 2, 3, 4)]
    assert pages[0] == list(range(25, 15, -1))
    assert [len(p) for p in pages] == [10, 10, 5, 0]
    every_row = [row_id for page in pages for row_id in page]
    assert every_row == list(range(25, 0, -1))


def test_a_page_is_never_larger_than_two_hundred_rows(things):
    app = things(205)
    ids, total = page_of(app, select(PagedThing), (PagedThing.id,), 1, 10_000)
    assert total == 205
    assert ids == list(range(1, 201))


def test_a_size_below_one_still_answers_one_row(things):
    app = things(3)
    ids, total = page_of(app, select(PagedThing), (PagedThing.id,), 1, 0)
    assert (ids, total) == ([1], 3)


def test_page_zero_or_below_is_treated_as_the_first_page(things):
    app = things(5)
    first = page_of(app, select(PagedThing), (PagedThing.id,), 1, 2)
    assert page_of(app, select(PagedThing), (PagedThing.id,), 0, 2) == first
    assert page_of(app, select(PagedThing), (PagedThing.id,), -3, 2) == first


def test_a_statement_that_is_already_ordered_is_counted_correctly(things):
    app = things(7)
    ordered = select(PagedThing).where(PagedThing.colour == "blue").order_by(PagedThing.colour)
    ids, total = page_of(app, ordered, (PagedThing.position.desc(),), 1, 3)
    assert total == 4
    assert ids == [7, 5, 3]
