"""A plugin, loaded with ``-p no_django``, that makes Django unimportable.

It stands for a robot's project where Django is not installed: loaded
before entry-point plugins, it makes any import of ``django`` fail.
"""

import sys


class _NoDjango:
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "django" or name.startswith("django."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, _NoDjango())
