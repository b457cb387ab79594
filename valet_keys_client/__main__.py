"""Run the ``valet-keys`` command as ``python -m valet_keys_client``."""

from valet_keys_client.cli import main

raise SystemExit(main())
