from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qinqing.core import jobs


class Command(BaseCommand):
    help = "Run the periodic jobs in-process (embedded mode, without Celery). --once runs each job once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from qinqing.core.operator import require_database

        require_database()
        if options["once"]:
            for name in sorted(jobs.JOBS):
                self.stdout.write(f"{name}: {jobs.run_job(name)}")
            return
        self.stdout.write(f"running {len(jobs.JOBS)} periodic jobs; Ctrl-C to stop")
        jobs.run_forever()
