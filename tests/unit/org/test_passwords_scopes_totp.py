"""Password policy, data-scope resolution and TOTP: pure rules, no database."""

import pytest

from autofin.kernel.actor import DataScope, ScopeKind
from autofin.kernel.errors import ValidationFailed
from autofin.org import passwords, totp
from autofin.org.scopes import descendants, resolve_scope, would_create_cycle
from autofin.org.seed import resolve_patterns

# HQ(1) ─┬─ Risk(2)
#        ├─ East(3) ── Shanghai(4) ── Pudong(6)
#        └─ Dealers(5)
TREE = {1: None, 2: 1, 3: 1, 4: 3, 5: 1, 6: 4}


# --- password policy ----------------------------------------------------------------------------------------
def test_a_long_mixed_password_meets_the_policy():
    assert passwords.password_problems("Correct-Horse-42", "li.lei", 10) == []


@pytest.mark.parametrize(
    ("password", "expected_en"),
    [
        ("Short-1a", "at least 10"),
        ("xx-li.lei-Strong1", "username"),
        ("P@ssw0rd123", "too common"),
        ("password123", "too common"),
        ("onlylowercaseletters", "three of"),
        ("a" * 129 + "A1", "at most 128"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(password, expected_en):
    problems = passwords.password_problems(password, "li.lei", 10)
    assert any(expected_en in p.en for p in problems), problems


def test_the_policy_error_names_every_broken_rule_in_both_languages():
    with pytest.raises(ValidationFailed) as caught:
        passwords.check_password_policy("admin", "admin", 10)
    error = caught.value
    assert error.code == "org.password.weak"
    assert {e.field for e in error.errors} == {"password"}
    assert len(error.errors) >= 3
    assert "密码至少需要 10 个字符" in error.message.zh


def test_the_common_password_list_ships_with_the_package():
    assert "qwertyuiop" in passwords.common_passwords()


def test_a_password_verifies_only_against_its_own_hash():
    stored = passwords.hash_password("Correct-Horse-42", cheap=True)
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "Correct-Horse-42", cheap=True)[0]
    assert not passwords.verify_password(stored, "Correct-Horse-43", cheap=True)[0]
    assert not passwords.verify_password(None, "anything", cheap=True)[0]


def test_a_hash_made_with_old_parameters_is_upgraded_on_success():
    old = passwords.hash_password("Correct-Horse-42", cheap=True)
    matches, new_hash = passwords.verify_password(old, "Correct-Horse-42", cheap=False)
    assert matches
    assert new_hash is not None and new_hash != old


# --- data scopes --------------------------------------------------------------------------------------------
def test_descendants_include_the_department_and_everything_below_it():
    assert descendants(3, TREE) == {3, 4, 6}
    assert descendants(1, TREE) == {1, 2, 3, 4, 5, 6}


def test_scope_all_sees_everything():
    assert resolve_scope([(ScopeKind.ALL, [])], 4, TREE) == DataScope.unrestricted()


def test_scope_department_and_below_covers_the_subtree():
    scope = resolve_scope([(ScopeKind.DEPARTMENT_AND_BELOW, [])], 3, TREE)
    assert scope.department_ids == {3, 4, 6}
    assert not scope.everything and not scope.own_records


def test_scope_department_covers_only_the_own_department():
    assert resolve_scope([(ScopeKind.DEPARTMENT, [])], 3, TREE).department_ids == {3}


def test_scope_self_covers_only_own_records():
    scope = resolve_scope([(ScopeKind.SELF, [])], 3, TREE)
    assert scope.own_records and scope.department_ids == frozenset()


def test_scope_chosen_departments_covers_exactly_those():
    assert resolve_scope([(ScopeKind.CHOSEN_DEPARTMENTS, [2, 5])], 3, TREE).department_ids == {2, 5}


def test_several_roles_give_the_union_of_their_scopes():
    roles = [(ScopeKind.DEPARTMENT, []), (ScopeKind.CHOSEN_DEPARTMENTS, [5]), (ScopeKind.SELF, [])]
    scope = resolve_scope(roles, 4, TREE)
    assert scope.department_ids == {4, 5}
    assert scope.own_records
    assert resolve_scope([(ScopeKind.SELF, []), (ScopeKind.ALL, [])], 4, TREE).everything


def test_a_user_without_roles_or_department_sees_nothing():
    assert resolve_scope([], None, TREE) == DataScope()
    assert resolve_scope([(ScopeKind.DEPARTMENT_AND_BELOW, [])], None, TREE).department_ids == frozenset()


def test_moving_a_department_beneath_its_own_subtree_is_a_cycle():
    assert would_create_cycle(3, 6, TREE)
    assert would_create_cycle(3, 3, TREE)
    assert not would_create_cycle(4, 5, TREE)
    assert not would_create_cycle(4, None, TREE)


# --- built-in role patterns ---------------------------------------------------------------------------------
def test_role_patterns_pick_up_codes_declared_by_any_domain():
    codes = ["ledger.entry.post", "ledger.voucher.view", "audit.event.view", "org.user.view", "products.loan.view"]
    assert resolve_patterns(("ledger.*", "audit.event.view"), codes) == [
        "audit.event.view", "ledger.entry.post", "ledger.voucher.view",
    ]
    assert resolve_patterns(("products.*.view",), codes) == ["products.loan.view"]


# --- TOTP ---------------------------------------------------------------------------------------------------
KEY = bytes(range(32))


def test_a_totp_secret_is_stored_encrypted_and_comes_back_intact():
    secret = totp.new_secret()
    sealed = totp.encrypt_secret(secret, KEY)
    assert secret not in sealed
    assert totp.encrypt_secret(secret, KEY) != sealed  # a fresh nonce every time
    assert totp.decrypt_secret(sealed, KEY) == secret


def test_a_totp_secret_cannot_be_read_with_another_key():
    sealed = totp.encrypt_secret(totp.new_secret(), KEY)
    with pytest.raises(Exception):  # noqa: B017 - cryptography raises InvalidTag
        totp.decrypt_secret(sealed, bytes(32))


def test_the_current_code_is_accepted_and_others_are_not():
    secret = totp.new_secret()
    code = totp.current_code(secret)
    assert totp.code_is_valid(secret, code)
    assert not totp.code_is_valid(secret, str((int(code) + 500_000) % 1_000_000).zfill(6))
    assert not totp.code_is_valid(secret, None)
    assert not totp.code_is_valid(secret, "12ab56")


def test_the_provisioning_uri_names_the_issuer_and_the_user():
    uri = totp.provisioning_uri(totp.new_secret(), "li.lei")
    assert uri.startswith("otpauth://totp/autofin:li.lei?")
    assert "issuer=autofin" in uri
