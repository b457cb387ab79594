#!/usr/bin/env python
"""Run the demo site's commands: ``python example/manage.py rundemo``."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Let the demo run from the repository root as well as from here.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
