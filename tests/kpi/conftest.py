"""kpi tests reuse the demands fixtures (the org tree's users, the settable clock, the demand flow) and
the investment ones (filers, projects)."""

from tests.demands.conftest import _seeded, clock, flow, people  # noqa: F401
from tests.investment.conftest import filer, make_project, manas_filer, reviewer  # noqa: F401
