"""Secrets at rest: Fernet under LISTBRIDGE_SECRET_KEYS (first key encrypts, every key decrypts).

Rotation: put a new key first, keep the old ones after it, run `listbridge rotate-keys`, then
drop the old keys once every stored secret has been re-encrypted.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.settings import get_settings


class SecretUnreadable(Exception):
    """A stored secret none of the configured keys can decrypt (a key was dropped too early)."""


class SecretBox:
    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise ValueError("At least one Fernet key is needed (LISTBRIDGE_SECRET_KEYS)")
        self._primary = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._primary.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("No configured key can decrypt this secret") from None

    def rotate(self, token: str) -> str:
        """The same secret, encrypted under the first key."""
        try:
            return self._all.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable("No configured key can decrypt this secret") from None


@lru_cache(maxsize=1)
def secret_box() -> SecretBox:
    return SecretBox(get_settings().security.secret_keys)
