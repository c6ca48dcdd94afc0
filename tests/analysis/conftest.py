"""The analysis tests reuse the liaison cast (real units, offices, leaders) and the settable clock."""

from __future__ import annotations

from tests.analysis.fixtures import data
from tests.liaison.conftest import cast, clock

__all__ = ["cast", "clock", "data"]
