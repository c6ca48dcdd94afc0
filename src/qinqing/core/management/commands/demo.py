from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qinqing.core import jobs
from qinqing.core.demo import APP_ACCOUNTS, DEMO_PASSWORD, DEMO_USERS, load_all


class Command(BaseCommand):
    help = "Prepare the demo database (migrate + demo data, idempotent), print the accounts and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("qinqing demo runs only with QINQING_DEMO=1 (it creates well-known passwords)")
        call_command("migrate", interactive=False, verbosity=0)
        counts = load_all(stdout=self.stdout)
        self.stdout.write("demo data: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）:")
        for spec in DEMO_USERS:
            self.stdout.write(
                f"  {spec.username:<20} {spec.full_name:<8} {spec.unit or '（企业用户）'}  {spec.note}"
            )
        for account in APP_ACCOUNTS:
            self.stdout.write(
                f"  {account.username:<20} {account.role.label:<8} {account.where}  {account.note}"
            )
        if options["no_serve"]:
            return
        threading.Thread(target=jobs.run_forever, name="qinqing-jobs", daemon=True).start()
        self.stdout.write(f"\n打开 http://{options['host']}:{options['port']}/  （Ctrl-C 停止）")
        call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=False)
