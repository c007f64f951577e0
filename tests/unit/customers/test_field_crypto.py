"""Personal data is encrypted per field and found again by keyed hashes; keys can be rotated."""

from __future__ import annotations

import os

import pytest

from autofin.kernel.crypto import DecryptionError, FieldCipher, key_id


def test_a_value_decrypts_to_itself_and_never_appears_in_the_stored_text():
    cipher = FieldCipher(os.urandom(32))
    stored = cipher.encrypt("110105194912310021", "customer.id_number")
    assert "1101051949" not in stored
    assert stored.startswith(cipher.current_key_id + ":")
    assert cipher.decrypt(stored, "customer.id_number") == "110105194912310021"


def test_the_same_value_encrypts_differently_each_time_but_hashes_the_same():
    cipher = FieldCipher(os.urandom(32))
    assert cipher.encrypt("13812345678") != cipher.encrypt("13812345678")
    assert cipher.lookup_hash("13812345678", "phone") == cipher.lookup_hash("13812345678", "phone")
    assert cipher.lookup_hash("13812345678", "phone") != cipher.lookup_hash("13812345679", "phone")


def test_the_lookup_hash_depends_on_the_key():
    assert FieldCipher(os.urandom(32)).lookup_hash("x") != FieldCipher(os.urandom(32)).lookup_hash("x")


def test_a_value_moved_to_another_field_or_tampered_with_does_not_decrypt():
    cipher = FieldCipher(os.urandom(32))
    stored = cipher.encrypt("6222020000000000", "card")
    with pytest.raises(DecryptionError):
        cipher.decrypt(stored, "phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB"), "card")


def test_after_rotation_old_values_still_decrypt_and_rotate_to_the_new_key_with_stable_hashes():
    old_key, new_key = os.urandom(32), os.urandom(32)
    old = FieldCipher(old_key)
    stored = old.encrypt("13812345678", "phone")
    rotated_ring = FieldCipher(new_key, older=(old_key,))
    assert rotated_ring.decrypt(stored, "phone") == "13812345678"
    assert rotated_ring.needs_rotation(stored)
    fresh = rotated_ring.rotate(stored, "phone")
    assert fresh.startswith(key_id(new_key))
    assert rotated_ring.decrypt(fresh, "phone") == "13812345678"
    assert rotated_ring.lookup_hash("13812345678") == old.lookup_hash("13812345678")


def test_an_unknown_key_id_is_refused_and_short_keys_are_rejected():
    with pytest.raises(DecryptionError):
        FieldCipher(os.urandom(32)).decrypt(FieldCipher(os.urandom(32)).encrypt("x"))
    with pytest.raises(ValueError):
        FieldCipher(b"short")
