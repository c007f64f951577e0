"""Money and rates survive the round trip through both databases exactly; data scopes filter rows."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from autofin.db.base import IdMixin, VersionedMixin, ensure_version
from autofin.db.scoping import restrict, visible
from autofin.db.types import Money, Rate, UTCDateTime
from autofin.kernel.actor import Actor, DataScope
from autofin.kernel.errors import Conflict
from autofin.kernel.money import D

scratch = MetaData()
amounts = Table(
    "test_amounts",
    scratch,
    Column("id", type_=String(8), primary_key=True),
    Column("amount", Money()),
    Column("rate", Rate()),
    Column("at", UTCDateTime()),
)


class ScratchBase(DeclarativeBase):
    metadata = scratch


class OwnedThing(IdMixin, VersionedMixin, ScratchBase):
    """A record owned by a department and a user, used to check data scopes and optimistic locks."""

    __tablename__ = "test_owned_things"
    name: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(nullable=True)
    owner_id: Mapped[int | None] = mapped_column(nullable=True)


@pytest.fixture()
def scratch_tables(app_ctx):
    scratch.create_all(app_ctx.engine)
    yield app_ctx
    scratch.drop_all(app_ctx.engine)


def test_money_and_rates_come_back_exactly_as_stored(scratch_tables):
    with scratch_tables.engine.begin() as connection:
        connection.execute(
            insert(amounts),
            [
                {
                    "id": "a",
                    "amount": D("99999999999.99"),
                    "rate": D("0.0123456789"),
                    "at": datetime(2026, 1, 1, tzinfo=UTC),
                },
                {"id": "b", "amount": D("-0.01"), "rate": D("12"), "at": None},
            ],
        )
        rows = {row.id: row for row in connection.execute(select(amounts))}
    assert rows["a"].amount == Decimal("99999999999.99")
    assert rows["a"].rate == Decimal("0.0123456789")
    assert rows["a"].at == datetime(2026, 1, 1, tzinfo=UTC)
    assert rows["b"].amount == Decimal("-0.01")
    assert rows["b"].rate == Decimal("12")


def test_a_fraction_of_a_cent_is_refused_rather_than_rounded_silently(scratch_tables):
    with pytest.raises(Exception, match="two decimal places"), scratch_tables.engine.begin() as connection:
        connection.execute(insert(amounts), [{"id": "c", "amount": D("1.005"), "rate": None, "at": None}])


def test_data_scope_keeps_only_rows_of_the_actors_departments_or_own_rows(scratch_tables):
    with scratch_tables.uow() as uow:
        uow.session.add_all(
            [
                OwnedThing(name="hq", department_id=1, owner_id=10),
                OwnedThing(name="branch", department_id=2, owner_id=11),
                OwnedThing(name="mine", department_id=3, owner_id=12),
            ]
        )
        uow.commit()
        branch_manager = Actor(user_id=99, username="m", scope=DataScope(department_ids=frozenset({2})))
        clerk = Actor(user_id=12, username="c", scope=DataScope(own_records=True))
        nobody = Actor(user_id=13, username="n", scope=DataScope())
        everyone = Actor(user_id=14, username="a", scope=DataScope.unrestricted())

        def names(actor):
            statement = restrict(
                select(OwnedThing.name), actor,
                department_column=OwnedThing.department_id, owner_column=OwnedThing.owner_id,
            )
            return sorted(uow.session.execute(statement).scalars())

        assert names(branch_manager) == ["branch"]
        assert names(clerk) == ["mine"]
        assert names(nobody) == []
        assert names(everyone) == ["branch", "hq", "mine"]
        assert visible(branch_manager, 2) and not visible(branch_manager, 1)
        assert visible(clerk, 1, owner_id=12)


def test_an_edit_based_on_an_old_version_is_refused_with_409(scratch_tables):
    with scratch_tables.uow() as uow:
        thing = OwnedThing(name="v1")
        uow.session.add(thing)
        uow.commit()
        assert thing.version == 1
        thing.name = "v2"
        uow.commit()
        assert thing.version == 2
        with pytest.raises(Conflict) as stale:
            ensure_version(thing, 1, "record")
        assert stale.value.status == 409


def test_saving_a_copy_loaded_before_someone_elses_save_is_refused_with_409(scratch_tables):
    with scratch_tables.uow() as uow:
        thing = OwnedThing(name="start")
        uow.session.add(thing)
        uow.commit()
        thing_id = thing.id
    with scratch_tables.uow() as slow_clerk:
        mine = slow_clerk.session.get(OwnedThing, thing_id)
        slow_clerk.commit()  # the clerk has the form open; no transaction is held meanwhile
        with scratch_tables.uow() as quick_clerk:
            quick_clerk.session.get(OwnedThing, thing_id).name = "quick"
            quick_clerk.commit()
        mine.name = "slow"
        with pytest.raises(Conflict):
            slow_clerk.commit()
    with scratch_tables.uow() as uow:
        assert uow.session.get(OwnedThing, thing_id).name == "quick"
