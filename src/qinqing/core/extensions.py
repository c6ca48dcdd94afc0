"""What other apps add to an object's page: links and lazily loaded HTMX panels.

A lower app (demands) must not import the apps built on it (analysis, liaison), yet its pages should offer
their actions: the demand page shows the possible duplicates found by analysis and liaison's 标记疑难.
Each app registers a provider for a kind of object in its AppConfig.ready(); the page renders them with
``{% object_extras "demand" d as extras %}`` (core/templatetags/qinqing_extras.py). A provider answers
only what the user may do; the target view checks again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Extra:
    label: str
    url: str
    kind: Literal["link", "panel"] = "link"  # a panel is fetched by HTMX when the page loads


ExtraProvider = Callable[[Any, Any], list[Extra]]  # (user, obj) -> extras
_PROVIDERS: dict[str, list[ExtraProvider]] = defaultdict(list)


def register_extras(kind: str) -> Callable[[ExtraProvider], ExtraProvider]:
    def decorate(provider: ExtraProvider) -> ExtraProvider:
        if provider not in _PROVIDERS[kind]:
            _PROVIDERS[kind].append(provider)
        return provider

    return decorate


def extras_for(kind: str, user: Any, obj: Any) -> list[Extra]:
    found: list[Extra] = []
    for provider in _PROVIDERS[kind]:
        found.extend(provider(user, obj))
    return found
