"""Dispatch by region (按区域分单): a stage goes to a reviewer of the branch office the application came from."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.integration.origination.world import application_command, build_world

from autofin.kernel.actor import SYSTEM
from autofin.org import service as org
from autofin.org.schemas import DepartmentCreate
from autofin.origination import service
from autofin.origination.models import ReviewTask
from autofin.origination.schemas import ChainCreate, StageSpec


@pytest.fixture()
def regions(app_ctx, make_user):
    """HQ → 华东分公司 → 上海门店, HQ → 华北分公司 → 北京门店; one reviewer per branch, one at HQ."""
    world = build_world(app_ctx)
    with app_ctx.uow() as uow:
        departments, _count = org.list_departments(uow, SYSTEM, size=200)
        hq = next(d.id for d in departments if d.code == "HQ")
        made = {}
        for code, name, parent in (("EAST", "华东分公司", hq), ("NORTH", "华北分公司", hq)):
            made[code] = org.create_department(uow, SYSTEM, DepartmentCreate(code=code, name=name, parent_id=parent)).id
        made["SH"] = org.create_department(
            uow, SYSTEM, DepartmentCreate(code="SH", name="上海门店", parent_id=made["EAST"])
        ).id
        made["BJ"] = org.create_department(
            uow, SYSTEM, DepartmentCreate(code="BJ", name="北京门店", parent_id=made["NORTH"])
        ).id
        service.create_chain(
            uow,
            SYSTEM,
            ChainCreate(code="regional", name="区域审批", priority=100,
                        stages=[StageSpec(stage="first_review", strategy="by_region"),
                                StageSpec(stage="final_review")]),
        )
        uow.commit()
    reviewers = {
        "east": make_user("rev_east", role_codes=["reviewer"], department_code="SH").id,
        "north": make_user("rev_north", role_codes=["reviewer"], department_code="NORTH").id,
        "hq": make_user("rev_hq", role_codes=["reviewer"]).id,
    }
    return world, made, reviewers


def _submit_from(app_ctx, world, department_id):
    with app_ctx.uow() as uow:
        application = service.create_application(
            uow, SYSTEM, application_command(world, department_id=department_id)
        )
        service.submit_application(uow, SYSTEM, application.id)
        uow.commit()
        return application.id


def _first_task(app_ctx, application_id):
    with app_ctx.uow() as uow:
        task = uow.session.execute(select(ReviewTask).where(ReviewTask.application_id == application_id)).scalar_one()
        return task.stage, task.assignee_id


def test_a_shanghai_application_goes_to_the_east_branch_reviewer(app_ctx, regions):
    world, departments, reviewers = regions
    stage, assignee = _first_task(app_ctx, _submit_from(app_ctx, world, departments["SH"]))
    assert stage == "first_review"
    assert assignee == reviewers["east"], "the reviewer of the same branch region gets the case"


def test_the_region_is_the_branch_subtree_and_a_region_without_reviewers_keeps_the_task_in_the_pool(
    app_ctx, regions
):
    world, departments, _reviewers = regions
    with app_ctx.uow() as uow:
        assert org.region_department_ids(uow, departments["BJ"]) == {departments["NORTH"], departments["BJ"]}
        south = org.create_department(uow, SYSTEM, DepartmentCreate(code="SOUTH", name="华南分公司", parent_id=None))
        uow.commit()
    world.customer("李四")
    world.vehicle("car2")
    with app_ctx.uow() as uow:
        application = service.create_application(
            uow, SYSTEM, application_command(world, applicant="李四", vehicle="car2", department_id=south.id)
        )
        service.submit_application(uow, SYSTEM, application.id)
        uow.commit()
    _stage, assignee = _first_task(app_ctx, application.id)
    assert assignee is None, "no reviewer of another region is handed the case; it waits for a supervisor"


def test_a_beijing_application_goes_to_the_north_reviewer_not_to_hq(app_ctx, regions):
    world, departments, reviewers = regions
    _stage, assignee = _first_task(app_ctx, _submit_from(app_ctx, world, departments["BJ"]))
    assert assignee == reviewers["north"]
