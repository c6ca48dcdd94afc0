"""Recovery codes: single-use stand-ins for a TOTP code when the phone is lost.

- ``COUNT`` (10) codes are made when TOTP is enrolled and whenever the user regenerates them (after
  confirming their identity, accounts.reauth); a new set replaces the old one entirely.
- A code is 12 characters from a 31-character alphabet without look-alikes (no 0/o, 1/i/l), shown as
  ``abcd-efgh-jkmn``: about 59 bits. Input is case-insensitive; spaces and hyphens are ignored.
- Stored as HMAC-SHA256 with a key derived from SECRET_KEY (``salted_hmac``), never in clear. Why not
  Django's password hasher (Argon2): a slow salted hash must be tried against every unused code of the
  user (10 Argon2 runs per attempt) and cannot be looked up; the codes are random, not chosen by people,
  so a slow hash adds nothing against guessing, while the keyed HMAC makes a stolen database alone
  useless. The digest is looked up directly, so using a code is one conditional UPDATE (``used_at IS
  NULL``): two requests racing with the same code cannot both succeed. SECRET_KEY_FALLBACKS are tried
  too, so rotating the secret key does not void the codes already handed out.
- Use and regeneration are audited (双因素认证); a wrong code counts as a failed login (lockout, rate
  limit), exactly as a wrong TOTP code does (accounts.services.verify_second_factor).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from qinqing.accounts.models import RecoveryCode, User
from qinqing.audit.models import AuditAction
from qinqing.audit.services import record

COUNT = 10
LENGTH = 12
WARN_AT = 3  # the profile warns when this many or fewer codes remain
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_SALT = "qinqing.accounts.recovery"
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def normalize(code: str) -> str:
    return re.sub(r"[\s\-]", "", code).lower()


def looks_like_code(code: str) -> bool:
    """Whether CODE has the shape of a recovery code (a TOTP code is 6 digits: never confused)."""
    return bool(_SHAPE.match(normalize(code)))


def _digest(normalized: str, secret: str) -> str:
    return salted_hmac(_SALT, normalized, secret=secret, algorithm="sha256").hexdigest()


def _digests(normalized: str) -> list[str]:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_digest(normalized, str(key)) for key in keys]


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


@transaction.atomic
def generate(user: User, *, detail: str = "生成恢复码") -> list[str]:
    """A new set of COUNT codes for USER (the old set is void). Returns them: they are shown once."""
    codes = [_new_code() for _ in range(COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    now = timezone.now()
    RecoveryCode.objects.bulk_create(
        [
            RecoveryCode(user=user, digest=_digest(normalize(c), settings.SECRET_KEY), created_at=now)
            for c in codes
        ]
    )
    record(AuditAction.TOTP, actor=user, obj=user, detail=f"{detail}（{COUNT} 个）")
    return codes


@transaction.atomic
def consume(user: User, code: str, *, purpose: str, now: dt.datetime | None = None) -> bool:
    """Spend CODE for USER: True once (audited with PURPOSE and the codes left), False for a wrong, spent
    or raced code (the caller audits and counts the failure)."""
    if not looks_like_code(code):
        return False
    now = now or timezone.now()
    # One conditional UPDATE decides: of two requests racing with one code, only one changes the row
    # (PostgreSQL re-checks ``used_at IS NULL`` after waiting for the other's row lock).
    spent = RecoveryCode.objects.filter(
        user=user, digest__in=_digests(normalize(code)), used_at__isnull=True
    ).update(used_at=now)
    if spent != 1:
        return False
    record(AuditAction.TOTP, actor=user, obj=user, detail=f"使用恢复码{purpose}（剩余 {remaining(user)} 个）")
    return True


def regenerate(user: User) -> list[str]:
    """The user replaces their codes (the view has confirmed their identity first)."""
    if user.totp_confirmed_at is None:
        raise ValidationError("尚未绑定动态口令，无需恢复码")
    return generate(user, detail="重新生成恢复码")


def remaining(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def forget(user: User) -> None:
    """Void every code of USER (the security administrator reset their second factor)."""
    RecoveryCode.objects.filter(user=user).delete()
