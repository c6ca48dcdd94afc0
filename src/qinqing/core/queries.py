"""The counts on the home page: each app contributes cards through HOME_CARDS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Card:
    label: str
    value: int | str
    url: str = ""


HomeCardProvider = Callable[[Any], list[Card]]
HOME_CARDS: list[HomeCardProvider] = []


def register_home_cards(provider: HomeCardProvider) -> HomeCardProvider:
    HOME_CARDS.append(provider)
    return provider


def home_cards(user: Any) -> list[Card]:
    cards: list[Card] = []
    for provider in HOME_CARDS:
        cards.extend(provider(user))
    return cards
