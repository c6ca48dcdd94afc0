"""Fill the analysis tables of a Qinqing database on the benchmark cluster after the bulk load of
bench/peer/qq_generate.py: the demand text index (COPY, each distinct text segmented once, as
bench/analysis_bench.py does) and the dashboard's pre-aggregated facts (``facts.rebuild``).

The generator loads demands with COPY, bypassing ``post_save``: without this step the facts cannot answer
(every demand is pending) and the leader dashboard and the statistics compute live. Skipped when the index
and the facts are already complete.

    .venv/bin/python bench/peer/qq_analysis.py --db qq_peer_1m
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", default=os.environ.get("PEER_PGPORT", "5433"))
    parser.add_argument("--force", action="store_true", help="rebuild even when complete")
    args = parser.parse_args(argv)
    from bench import analysis_bench, harness

    harness.PG = f"postgres://postgres@127.0.0.1:{args.port}/"
    analysis_bench.DB = args.db
    os.environ.setdefault("QINQING_DEMO", "1")
    harness.setup_django(args.db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from qinqing.analysis import facts
    from qinqing.analysis.models import DemandIndex
    from qinqing.demands.models import Demand

    started = time.monotonic()
    demands = Demand.objects.count()
    if args.force or DemandIndex.objects.count() < demands:
        print(f"{args.db}: text index: {analysis_bench.build_index()}", flush=True)
        rebuilt = facts.rebuild()
    elif args.force or facts.pending_ids(limit=50_000) is None:
        rebuilt = facts.rebuild()
    else:
        rebuilt = {"queue job": facts.process_queue()}
    print(
        f"{args.db}: {demands:,} demands; facts {rebuilt} in {time.monotonic() - started:.0f} s", flush=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
