"""Endpoint secrets at rest: envelope encryption. A secret must sign every delivery, so it is kept
recoverable (not a hash), but never in the clear: each is encrypted (AES-256-GCM, the tenant and endpoint
as associated data, so a sealed secret cannot be moved to another endpoint) under a data key of its own,
and only the data key wrapped by the master key is stored beside it. In AWS the master key is a KMS key
(GenerateDataKey / Decrypt); `make run` uses a local key file (.local/data/webhooks.key).

Unwrapped data keys are kept in the process for a while, so a warm Lambda does not call KMS per delivery.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from typing import Any, Protocol

CONTEXT = {"purpose": "retaguarda-webhook-secret"}
CACHE_SECONDS = 300
CACHE_SIZE = 1000


class KeyWrapper(Protocol):
    """Port: makes data keys and unwraps them (the master key never leaves it)."""

    name: str

    def new_key(self) -> tuple[bytes, bytes]: ...  # (data key, the data key wrapped)
    def unwrap(self, wrapped: bytes) -> bytes: ...


class KmsKeyWrapper:
    name = "kms"

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms, self._key_id = kms, key_id

    def new_key(self) -> tuple[bytes, bytes]:
        answer = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=CONTEXT)
        return bytes(answer["Plaintext"]), bytes(answer["CiphertextBlob"])

    def unwrap(self, wrapped: bytes) -> bytes:
        return bytes(self._kms.decrypt(CiphertextBlob=wrapped, KeyId=self._key_id,
                                       EncryptionContext=CONTEXT)["Plaintext"])


class LocalKeyWrapper:
    """A 32-byte master key from the environment (WEBHOOKS_LOCAL_KEY): `make run` and the tests."""

    name = "local"

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the local webhook master key is 32 bytes (base64 in WEBHOOKS_LOCAL_KEY)")
        self._master = master_key

    def new_key(self) -> tuple[bytes, bytes]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key, nonce = os.urandom(32), os.urandom(12)
        return key, nonce + AESGCM(self._master).encrypt(nonce, key, CONTEXT["purpose"].encode())

    def unwrap(self, wrapped: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self._master).decrypt(wrapped[:12], wrapped[12:], CONTEXT["purpose"].encode())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class SecretBox:
    """Seals and opens endpoint secrets."""

    def __init__(self, wrapper: KeyWrapper) -> None:
        self._wrapper = wrapper
        self._cache: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def seal(self, secret: str, bound_to: str) -> dict[str, str]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key, wrapped = self._wrapper.new_key()
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, secret.encode(), bound_to.encode())
        return {"alg": "AES-256-GCM", "wrapper": self._wrapper.name, "key": _b64(wrapped), "nonce": _b64(nonce),
                "ciphertext": _b64(ciphertext)}

    def open(self, sealed: dict[str, str], bound_to: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if sealed.get("wrapper") != self._wrapper.name:
            raise ValueError(f"a secret sealed by {sealed.get('wrapper')!r} cannot be opened by {self._wrapper.name!r}")
        key = self._data_key(sealed["key"])
        return AESGCM(key).decrypt(base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]),
                                   bound_to.encode()).decode()

    def _data_key(self, wrapped: str) -> bytes:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(wrapped)
            if hit is not None and hit[0] > now:
                return hit[1]
        key = self._wrapper.unwrap(base64.b64decode(wrapped))
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[wrapped] = (now + CACHE_SECONDS, key)
        return key
