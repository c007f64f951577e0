import pytest

from autofin.kernel.actor import SYSTEM, Actor, DataScope
from autofin.kernel.errors import PermissionDenied, Text, ValidationFailed, invalid
from autofin.kernel.text import mask_middle


def test_an_actor_without_the_permission_is_refused_with_a_message_in_both_languages():
    clerk = Actor(user_id=7, username="clerk", permissions=frozenset({"org.user.view"}))
    clerk.require("org.user.view")
    with pytest.raises(PermissionDenied) as refused:
        clerk.require("org.user.create")
    assert refused.value.status == 403
    assert "org.user.create" in refused.value.message.en
    assert "权限" in refused.value.message.zh


def test_the_system_actor_may_do_everything_and_sees_all_data():
    SYSTEM.require("anything.at.all")
    assert SYSTEM.scope == DataScope.unrestricted()


def test_a_field_error_names_the_field_and_speaks_the_users_language():
    error = invalid("id_number", "check digit is wrong", "校验位错误")
    assert isinstance(error, ValidationFailed)
    assert error.status == 422
    assert error.errors[0].field == "id_number"
    assert error.errors[0].message.in_language("zh-CN") == "校验位错误"
    assert Text("yes", "是").in_language("en-US") == "yes"


def test_personal_data_is_masked_keeping_only_the_allowed_ends():
    assert mask_middle("110101199003074514", 6, 4) == "110101********4514"
    assert mask_middle("13812345678", 3, 4) == "138****5678"
    assert mask_middle("123", 3, 4) == "***"
