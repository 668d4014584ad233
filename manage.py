#!/usr/bin/env python
"""Run Django's command-line utility for the portal."""

import os
import sys


def main() -> None:
    """Run the administrative task named on the command line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
