"""kpi tests reuse the demands fixtures (the org tree's users, the settable clock, the demand flow)."""

from tests.demands.conftest import _seeded, clock, flow, people  # noqa: F401
