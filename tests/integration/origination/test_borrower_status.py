"""The borrower's status look-up: the number with the applicant's ID number and phone answers; any mismatch gives
the same not-found; the answer holds no personal data, no staff names and no reviewer's comment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.integration.origination.disbursement_world import approved_application, sign_contract
from tests.integration.origination.world import application_command, build_world

from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.errors import NotFound
from autofin.origination import service
from autofin.origination.borrower_status import borrower_status
from autofin.origination.schemas import ReviewRequest

PHONE = "13900000001"  # the world's first customer (张三)
REVIEWER_A = Actor(user_id=880001, username="reviewer_wang", is_superuser=True, scope=DataScope.unrestricted())
REVIEWER_B = Actor(user_id=880002, username="reviewer_li", is_superuser=True, scope=DataScope.unrestricted())
COMMENT = "申请人张三在某某公司的收入流水不足，王审核员备注"


@pytest.fixture()
def world(app_ctx):
    return build_world(app_ctx)


def _submitted(app_ctx, world) -> tuple[int, str]:
    with app_ctx.uow() as uow:
        application = service.create_application(uow, SYSTEM, application_command(world))
        service.submit_application(uow, SYSTEM, application.id)
        uow.commit()
        return application.id, application.number


def _number(app_ctx, application_id: int) -> str:
    with app_ctx.uow() as uow:
        return service.get_application(uow, SYSTEM, application_id).number


def _status(app_ctx, number: str, id_number: str, phone: str = PHONE):
    with app_ctx.uow() as uow:
        return borrower_status(uow, number, id_number, phone)


def _reviewed_status(app_ctx, world, decision: str, reason_code: str):
    """Submit, have the first reviewer decide with a reason code and a comment, and read the borrower's status."""
    application_id, number = _submitted(app_ctx, world)
    with app_ctx.uow() as uow:
        service.review_application(uow, REVIEWER_A, application_id, ReviewRequest(
            decision=decision, reason_code=reason_code, comment=COMMENT))
        uow.commit()
    return _status(app_ctx, number, world.id_numbers["张三"])


def _no_personal_data(answer, world) -> None:
    dumped = answer.model_dump_json()
    for secret in ("张三", world.id_numbers["张三"], PHONE, world.vins["car"], "reviewer_wang", "reviewer_li",
                   "system", COMMENT, "王"):
        assert secret not in dumped, secret


def test_the_matching_number_id_and_phone_show_the_status_without_personal_data(app_ctx, world):
    _, number = _submitted(app_ctx, world)
    answer = _status(app_ctx, number, world.id_numbers["张三"])
    assert answer.application_number == number
    assert answer.status == "in_review" and answer.status_zh == "审核中" and answer.status_en == "In review"
    assert answer.stage == "review"
    assert answer.amount == Decimal("80000.00") and answer.term == 36
    assert answer.product_name
    assert [(s.code, s.state) for s in answer.steps] == [
        ("submitted", "done"), ("in_review", "current"), ("decision", "pending"), ("contracted", "pending"),
        ("disbursed", "pending"),
    ]
    assert answer.steps[0].on is not None and answer.steps[1].on is not None
    assert "无需操作" in answer.next_zh
    _no_personal_data(answer, world)


def test_the_number_id_and_phone_are_read_leniently(app_ctx, world):
    _, number = _submitted(app_ctx, world)
    answer = _status(app_ctx, f"  {number.lower()} ", world.id_numbers["张三"].lower(), "+86 139-0000-0001")
    assert answer.application_number == number


@pytest.mark.parametrize("wrong", ["number", "id_number", "phone", "all", "blank"])
def test_every_mismatch_gives_the_same_not_found(app_ctx, world, wrong):
    world.customer("李四")  # another real customer: their ID and phone are valid, just not this applicant's
    _, number = _submitted(app_ctx, world)
    given = {"number": number, "id_number": world.id_numbers["张三"], "phone": PHONE}
    other = {"number": "AP-20260101-999999", "id_number": world.id_numbers["李四"], "phone": "13900000003"}
    if wrong == "all":
        given = other
    elif wrong == "blank":
        given = {"number": "", "id_number": "", "phone": ""}
    else:
        given[wrong] = other[wrong]
    with pytest.raises(NotFound) as refused:
        _status(app_ctx, given["number"], given["id_number"], given["phone"])
    assert refused.value.code == "origination.status.not_found"
    assert refused.value.message.zh.startswith("未找到与该申请编号、证件号码和手机号码相符的申请")
    assert "phone" in refused.value.message.en and "ID number" in refused.value.message.en  # names all three
    assert refused.value.errors == []  # never which one was wrong


def test_another_customers_own_id_and_phone_do_not_open_this_application(app_ctx, world):
    world.customer("李四")
    _, number = _submitted(app_ctx, world)
    with pytest.raises(NotFound):
        _status(app_ctx, number, world.id_numbers["李四"], "13900000003")


def test_a_rejection_shows_the_reason_category_only(app_ctx, world):
    answer = _reviewed_status(app_ctx, world, "reject", "income_insufficient")
    assert answer.status == "rejected" and answer.stage == "closed"
    assert [(s.code, s.state) for s in answer.steps] == [
        ("submitted", "done"), ("in_review", "done"), ("rejected", "failed")]
    rejected = answer.steps[-1]
    assert (rejected.reason_category, rejected.reason_zh, rejected.reason_en) == ("income", "收入情况", "Income")
    _no_personal_data(answer, world)


def test_a_suspicion_of_fraud_is_never_named_to_the_borrower(app_ctx, world):
    answer = _reviewed_status(app_ctx, world, "reject", "fraud_suspected")
    assert answer.steps[-1].reason_category == "assessment"
    assert "fraud" not in answer.model_dump_json().lower() and "欺诈" not in answer.model_dump_json()


def test_a_returned_application_asks_the_borrower_to_see_the_dealer(app_ctx, world):
    answer = _reviewed_status(app_ctx, world, "return", "documents_missing")
    assert answer.status == "returned" and answer.status_zh == "需补充资料"
    assert [(s.code, s.state) for s in answer.steps][:3] == [
        ("submitted", "done"), ("in_review", "done"), ("returned", "current")]
    assert answer.steps[2].reason_category == "documents"
    assert "补充资料" in answer.next_zh
    _no_personal_data(answer, world)


def test_an_approval_then_the_contract_walk_the_timeline(app_ctx, world):
    application_id = approved_application(app_ctx, world)
    number = _number(app_ctx, application_id)
    answer = _status(app_ctx, number, world.id_numbers["张三"])
    assert answer.status == "approved" and answer.stage == "contract"
    assert answer.approval_valid_until is not None
    assert "签署贷款合同" in answer.next_zh and "contract at your dealer" in answer.next_en
    assert [(s.code, s.state) for s in answer.steps] == [
        ("submitted", "done"), ("in_review", "done"), ("approved", "done"), ("contracted", "current"),
        ("disbursed", "pending")]
    sign_contract(app_ctx, application_id)
    answer = _status(app_ctx, number, world.id_numbers["张三"])
    assert answer.status == "contracted" and answer.stage == "disbursement"
    assert [(s.code, s.state) for s in answer.steps][-2:] == [("contracted", "done"), ("disbursed", "current")]
    assert answer.steps[-2].on is not None
    _no_personal_data(answer, world)


def test_a_draft_is_shown_as_being_prepared(app_ctx, world):
    with app_ctx.uow() as uow:
        application = service.create_application(uow, SYSTEM, application_command(world))
        uow.commit()
        number = application.number
    answer = _status(app_ctx, number, world.id_numbers["张三"])
    assert answer.status == "draft" and answer.stage == "application"
    assert [s.state for s in answer.steps] == ["current", "pending", "pending", "pending", "pending"]
