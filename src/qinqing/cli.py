"""The ``qinqing`` console command: django-admin with Qinqing's settings.

qinqing migrate | createsuperuser | serve | creditcode CODE... | workdays add DATE N | backup | restore ...

A failure prints one clear line and exits non-zero (``--traceback`` shows the traceback): see
``qinqing.core.operator``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    from django.core.management import execute_from_command_line

    from qinqing.core import operator

    args = list(sys.argv if argv is None else ["qinqing", *argv])
    args[0] = "qinqing"
    operator.run(execute_from_command_line, args)


if __name__ == "__main__":
    main()
