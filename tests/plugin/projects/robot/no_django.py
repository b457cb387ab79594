"""A plugin, loaded with ``-p no_django``, that hides Django.

It stands for a robot's project where neither Django nor pytest-django is
installed: loaded before entry-point plugins, it makes their imports fail as
for a missing package. pytest-django's entry point is kept from loading with
``-p no:django``.
"""

import sys

HIDDEN = ("django", "pytest_django")


class _NoDjango:
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, _NoDjango())
