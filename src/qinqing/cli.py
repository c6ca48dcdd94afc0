"""The ``qinqing`` console command: django-admin with Qinqing's settings.

qinqing migrate | createsuperuser | serve | creditcode CODE... | workdays add DATE N | ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["qinqing", *argv])
    args[0] = "qinqing"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
