#!/usr/bin/env python
"""The example shop's manage.py, e.g. ``python example_project/manage.py demo``."""

import os
import sys
from pathlib import Path

# A checkout runs without installing the app: its root (which holds
# convertedin_feed/) goes right after this folder on the import path.
CHECKOUT = str(Path(__file__).resolve().parent.parent)
if CHECKOUT not in sys.path:
    sys.path.insert(1, CHECKOUT)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
