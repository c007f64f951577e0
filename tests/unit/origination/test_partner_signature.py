"""The partner signature and the rate-limit bucket, as pure functions (a partner's SDK must compute the same)."""

from __future__ import annotations

import hashlib
import hmac

from autofin.origination.partners import signature as sig
from autofin.origination.partners.ratelimit import MemoryLimiter

SECRET = "s3cr3t-partner-key"
BODY = b'{"order_no":"A-1"}'


def test_the_canonical_string_is_method_path_timestamp_nonce_and_body_hash_on_lines():
    text = sig.canonical_string("post", "/api/v1/partner/applications", "1764000000", "nonce-0001", BODY)
    assert text.split("\n") == [
        "POST",
        "/api/v1/partner/applications",
        "1764000000",
        "nonce-0001",
        hashlib.sha256(BODY).hexdigest(),
    ]


def test_the_signature_is_hex_hmac_sha256_of_the_canonical_string_with_the_secret():
    expected = hmac.new(
        SECRET.encode(),
        f"POST\n/p\n1764000000\nnonce-0001\n{hashlib.sha256(BODY).hexdigest()}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert sig.sign(SECRET, "POST", "/p", "1764000000", "nonce-0001", BODY) == expected


def test_a_right_signature_matches_in_either_case_and_any_change_breaks_it():
    good = sig.sign(SECRET, "POST", "/p", "1764000000", "nonce-0001", BODY)
    assert sig.signature_matches(SECRET, "POST", "/p", "1764000000", "nonce-0001", BODY, good)
    assert sig.signature_matches(SECRET, "POST", "/p", "1764000000", "nonce-0001", BODY, good.upper())
    changed = [
        ("other-secret", "POST", "/p", "1764000000", "nonce-0001", BODY),
        (SECRET, "GET", "/p", "1764000000", "nonce-0001", BODY),
        (SECRET, "POST", "/p?x=1", "1764000000", "nonce-0001", BODY),
        (SECRET, "POST", "/p", "1764000001", "nonce-0001", BODY),
        (SECRET, "POST", "/p", "1764000000", "nonce-0002", BODY),
        (SECRET, "POST", "/p", "1764000000", "nonce-0001", BODY + b" "),
    ]
    for args in changed:
        assert not sig.signature_matches(*args, good), args
    assert not sig.signature_matches(SECRET, "POST", "/p", "1764000000", "nonce-0001", BODY, "not-hex")
    assert not sig.signature_matches(SECRET, "POST", "/p", "1764000000", "nonce-0001", BODY, good[:-1])


def test_timestamps_within_five_minutes_either_way_are_fresh_and_others_are_not():
    now = 1_764_000_000.0
    assert sig.WINDOW_SECONDS == 300
    assert sig.timestamp_fresh(1_764_000_000 - 300, now)
    assert sig.timestamp_fresh(1_764_000_000 + 300, now)
    assert not sig.timestamp_fresh(1_764_000_000 - 301, now)
    assert not sig.timestamp_fresh(1_764_000_000 + 301, now)


def test_only_plain_unix_seconds_parse_as_a_timestamp():
    assert sig.parse_timestamp("1764000000") == 1_764_000_000
    for bad in ("", "-5", "1.5", "abc", "1764000000000000", "١٢٣"):
        assert sig.parse_timestamp(bad) is None, bad


def test_a_nonce_is_8_to_64_url_safe_characters():
    assert sig.nonce_valid("a1b2c3d4")
    assert sig.nonce_valid("x" * 64)
    for bad in ("short", "x" * 65, "has space1", "semi;colon1"):
        assert not sig.nonce_valid(bad), bad


def test_a_bucket_lets_its_limit_through_then_refuses_with_the_wait_until_the_next_token():
    now = [100.0]
    limiter = MemoryLimiter(clock=lambda: now[0])
    assert all(limiter.take("p1", 3).allowed for _ in range(3))
    refused = limiter.take("p1", 3)
    assert not refused.allowed and refused.retry_after == 20  # 3 a minute: one token every 20 s
    assert limiter.take("p2", 3).allowed, "each partner has its own bucket"
    now[0] += 20
    assert limiter.take("p1", 3).allowed
    assert not limiter.take("p1", 3).allowed
