"""Test matrix and checks, run by ``make test`` and by CI.

``nox`` alone runs the checks and the oldest and newest supported pairs of
Python and Django, each on every database of ``tests/settings.py``, and the
suite once without Django REST framework; ``nox -s tests`` runs the whole
matrix.
"""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

# Django 6.x needs Python 3.12 or newer.
MATRIX = [
    ("3.11", "5.2"),
    ("3.12", "5.2"),
    ("3.12", "6.0"),
    ("3.12", "6.1"),
    ("3.13", "5.2"),
    ("3.13", "6.0"),
    ("3.13", "6.1"),
]

DATABASES = ("sqlite", "postgresql", "mariadb")


def _session_id(python: str, django: str) -> str:
    return f"{python}-django{django}"


# What `make test` and CI run: the checks, then the oldest and the newest
# supported pair, then the oldest again without the optional REST framework.
nox.options.sessions = [
    "lint",
    *(f"tests({_session_id(*pair)})" for pair in (MATRIX[0], MATRIX[-1])),
    "tests_without_drf",
]


@nox.session(python="3.12")
def lint(session: nox.Session) -> None:
    """Check formatting, lint and types."""
    session.install("--group", "lint", "-e", ".", "Django~=5.2.0")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")
    session.run("mypy")


@nox.session
@nox.parametrize(
    ("python", "django"),
    [
        nox.param(python, django, id=f"{python}-django{django}")
        for python, django in MATRIX
    ],
)
def tests(session: nox.Session, django: str) -> None:
    """Run the test suite once for each database, with the drf extra."""
    session.install("--group", "test", "-e", ".[drf]", f"Django~={django}.0")
    _run_tests(session)


@nox.session(python=MATRIX[0][0])
def tests_without_drf(session: nox.Session) -> None:
    """Run the suite without Django REST framework, which is optional.

    The demo serves an API through it, so its tests are left out here, and
    so are the browser tests: they drive the pages, which do not depend on
    REST framework, and the other sessions already run them.
    """
    session.install("--group", "test", "-e", ".", f"Django~={MATRIX[0][1]}.0")
    _run_tests(session, "--ignore=tests/test_demo.py", "-m", "not browser")


def _run_tests(session: nox.Session, *options: str) -> None:
    databases = os.environ.get("VALET_KEYS_TEST_DATABASES", ",".join(DATABASES))
    for database in databases.split(","):
        session.run(
            "pytest",
            *options,
            *session.posargs,
            env={"VALET_KEYS_TEST_DB": database},
        )
