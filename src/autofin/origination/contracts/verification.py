"""Identity verification providers for signing sessions (身份核验): a protocol and the shipped provider.

A provider turns the evidence of one check into an :class:`IdentityOutcome`. The shipped
:class:`OfficerVideoComparison` records that an officer compared the live video with the ID photo and says whether
they match; face-comparison services or the public-security identity check plug in later as further providers
(:func:`register_provider`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from autofin.kernel.actor import Actor
from autofin.kernel.clock import utcnow
from autofin.kernel.errors import invalid


@dataclass(frozen=True)
class IdentityOutcome:
    provider: str
    passed: bool
    checked_by: int | None  # the officer's user id (None for an automatic provider)
    checked_at: datetime
    note: str = ""


class IdentityVerificationProvider(Protocol):
    code: str

    def verify(self, actor: Actor, borrower_name: str, evidence: Mapping[str, Any]) -> IdentityOutcome: ...


class OfficerVideoComparison:
    """视频面签人工核验: the signed-in officer compared the live video with the ID photo.

    Evidence: ``{"video_matches_id_photo": true|false, "note": "…"}``. The officer is the acting user.
    """

    code = "officer_video"

    def verify(self, actor: Actor, borrower_name: str, evidence: Mapping[str, Any]) -> IdentityOutcome:
        if actor.user_id is None:
            raise invalid(
                "officer",
                "An officer (a signed-in user) must confirm the video comparison, not a system process.",
                "视频比对须由已登录的面签人员确认，不能由系统进程代为确认。",
                "origination.signing.officer_required",
            )
        matches = evidence.get("video_matches_id_photo")
        if not isinstance(matches, bool):
            raise invalid(
                "video_matches_id_photo",
                "Say whether the live video matches the ID photo (true or false).",
                "请确认视频中本人与身份证照片是否一致（是/否）。",
                "origination.signing.evidence_missing",
            )
        note = str(evidence.get("note", ""))[:500]
        return IdentityOutcome(self.code, matches, actor.user_id, utcnow(), note)


_PROVIDERS: dict[str, IdentityVerificationProvider] = {}


def register_provider(provider: IdentityVerificationProvider) -> None:
    _PROVIDERS[provider.code] = provider


def get_provider(code: str) -> IdentityVerificationProvider:
    try:
        return _PROVIDERS[code]
    except KeyError:
        raise invalid(
            "provider",
            f"Unknown identity verification provider '{code}'; use one of {sorted(_PROVIDERS)}.",
            f"未知的身份核验方式“{code}”，可用：{sorted(_PROVIDERS)}。",
            "origination.signing.provider_unknown",
        ) from None


register_provider(OfficerVideoComparison())
