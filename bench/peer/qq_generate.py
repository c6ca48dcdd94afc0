"""Build a Qinqing demands database on the benchmark cluster (port 5433) with bench/demands_generate.py.

The generator targets harness.PG (127.0.0.1:5432); this wrapper points it, and psql, at the peer
benchmark's cluster instead, so both systems' data live on the same PostgreSQL with the same settings.

    .venv/bin/python bench/peer/qq_generate.py --db qq_peer_1m --demands 1000000 --enterprises 300000
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--demands", type=int, required=True)
    parser.add_argument("--enterprises", type=int, required=True)
    parser.add_argument("--port", default=os.environ.get("PEER_PGPORT", "5433"))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    os.environ["PGPORT"] = args.port  # psql (harness.psql passes no -p)
    from bench import demands_generate, harness

    harness.PG = f"postgres://postgres@127.0.0.1:{args.port}/"
    argv = ["--db", args.db, "--demands", str(args.demands), "--enterprises", str(args.enterprises)]
    return demands_generate.main(argv + (["--force"] if args.force else []))


if __name__ == "__main__":
    sys.exit(main())
