"""Field-level encryption of personal data and keyed look-up hashes, pure (no database, no framework).

* :meth:`FieldCipher.encrypt` — AES-256-GCM with a random 96-bit nonce. The stored text is
  ``<key id>:<base64url(nonce + ciphertext + tag)>``; the key id prefix says which key decrypts it, so keys can be
  rotated: a new current key encrypts, older keys kept in the ring still decrypt, :meth:`FieldCipher.rotate`
  re-encrypts a value under the current key.
* :meth:`FieldCipher.lookup_hash` — HMAC-SHA256 of the normalised value under a key derived from the master key,
  for exact search and unique constraints without storing the plain value. Give it its own ``hash_key`` (the
  product does: ``AUTOFIN_LOOKUP_HASH_KEY``), so look-ups never depend on which encryption keys are still kept;
  without one the hash key is derived from the oldest key of the ring.

The associated data (``context``) binds a ciphertext to its use (e.g. ``"customer.id_number"``): a value copied
into another column does not decrypt there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(ValueError):
    """A stored value could not be decrypted: unknown key id, corrupted text or wrong context."""


def key_id(key: bytes) -> str:
    """A short, stable, non-secret name for a key: ``k`` + the first 8 hex digits of a hash of it."""
    return "k" + hashlib.sha256(b"autofin-key-id:" + key).hexdigest()[:8]


def _derive(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"autofin:" + purpose, hashlib.sha256).digest()


@dataclass(frozen=True)
class FieldCipher:
    """A key ring: ``current`` encrypts; every key in ``keys`` (by id) decrypts."""

    current: bytes
    older: tuple[bytes, ...] = ()
    hash_key: bytes | None = None
    _ring: Mapping[str, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in (self.current, *self.older):
            if len(key) != KEY_BYTES:
                raise ValueError("field encryption keys must be exactly 32 bytes (AES-256)")
        ring = {key_id(key): key for key in (*self.older, self.current)}
        object.__setattr__(self, "_ring", ring)

    @property
    def current_key_id(self) -> str:
        return key_id(self.current)

    def encrypt(self, plaintext: str, context: str = "") -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(_derive(self.current, b"aes-gcm")).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self.current_key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str = "") -> str:
        kid, sep, body = stored.partition(":")
        key = self._ring.get(kid)
        if not sep or key is None:
            raise DecryptionError(f"no key with id {kid!r} in the key ring")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
            return AESGCM(_derive(key, b"aes-gcm")).decrypt(nonce, sealed, context.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("the stored value is corrupted or belongs to another field") from exc

    def needs_rotation(self, stored: str) -> bool:
        return not stored.startswith(self.current_key_id + ":")

    def rotate(self, stored: str, context: str = "") -> str:
        """The same value encrypted under the current key (unchanged if it already is)."""
        if not self.needs_rotation(stored):
            return stored
        return self.encrypt(self.decrypt(stored, context), context)

    def lookup_hash(self, value: str, context: str = "") -> str:
        """Keyed hash (hex) of a normalised value, for exact search; equal values give equal hashes."""
        base = self.hash_key if self.hash_key is not None else (self.older[0] if self.older else self.current)
        digest = hmac.new(_derive(base, b"lookup-hash"), f"{context}\x00{value}".encode(), hashlib.sha256)
        return digest.hexdigest()
