"""Fixtures for testing a Django site that accepts valet keys.

The plugin registers this module only when pytest-django is active and
Django is installed; otherwise fixtures of the same names explain what is
missing. Django is imported inside the fixtures, never at import time, as
settings may not be configured yet when pytest loads plugins.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from .actions import ValetActions
from .keys import MintedKey

if TYPE_CHECKING:
    import django.test
    from django.contrib.auth.base_user import AbstractBaseUser
    from pytest_django.live_server_helper import LiveServer

    from valet_keys.models import KeyAction
    from valet_keys_client import Client

__all__ = [
    "SITE_FIXTURES",
    "KeyFactory",
    "RobotFactory",
    "live_robot",
    "robot",
    "robot_client",
    "robot_factory",
    "valet_actions",
    "valet_key",
    "valet_key_factory",
    "valet_user",
]

SITE_FIXTURES = (
    "valet_user",
    "valet_key_factory",
    "valet_key",
    "robot_client",
    "robot_factory",
    "robot",
    "live_robot",
    "valet_actions",
)

# The options of @pytest.mark.valet_robot that are not the client's own.
_ADAPTER_OPTIONS = frozenset({"raise_request_exception"})
_CLIENT_OPTIONS = frozenset({"timeout", "retries", "user_agent_extra"})

# What Django's user name validators refuse: anything but letters, digits
# and @.+-_.
_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]")

# What pytest-django raises when a test without database access queries.
_BLOCKED_DATABASE = "Database access not allowed"


class KeyFactory(Protocol):
    """The type of the ``valet_key_factory`` fixture."""

    def __call__(
        self,
        user: AbstractBaseUser | None = None,
        description: str | None = None,
        **options: Any,
    ) -> MintedKey: ...


class RobotFactory(Protocol):
    """The type of the ``robot_factory`` fixture."""

    def __call__(
        self, key: MintedKey, *, raise_request_exception: bool = True, **options: Any
    ) -> Client: ...


@pytest.fixture
def valet_user(request: pytest.FixtureRequest) -> AbstractBaseUser:
    """Return a new user of the user model, with a name made by Faker.

    Names come from the ``faker`` fixture, so they follow ``faker_seed`` and
    ``faker_locale`` and repeat from run to run. The password is unusable:
    creating the user runs no password hasher, which would cost far more
    than the test. Needs database access, through ``@pytest.mark.django_db``
    or the ``db`` or ``transactional_db`` fixture.

    Fields filled: ``first_name`` and ``last_name``, the username field
    (``first.last``) and the email field (``first.last@example.com``), where
    the model has them. A custom user model with other required fields
    needs its own ``valet_user`` fixture in a conftest.
    """
    name = _requested(request, "valet_user")
    _require_settings(name)
    faker = _faker(request, name)
    _database_first(request)
    try:
        return _make_user(faker)
    except RuntimeError as error:
        if not _blocked(error):
            raise
        failure = _no_database(name)
    raise failure


@pytest.fixture
def valet_key_factory(request: pytest.FixtureRequest) -> KeyFactory:
    """Return a function that mints keys: ``(user=None, description=None,
    **options) -> MintedKey``.

    ``user`` defaults to ``valet_user``, so that keys made without one share
    an owner; ``description`` defaults to a numbered one. ``options`` go to
    ``Key.objects.mint()``, such as ``expires_at``. Minting runs no password
    hasher, so a test can make many keys. Needs database access, like
    ``valet_user``.
    """
    name = _requested(request, "valet_key_factory")
    _require_settings(name)
    numbers = itertools.count(1)

    def mint(
        user: AbstractBaseUser | None = None,
        description: str | None = None,
        **options: Any,
    ) -> MintedKey:
        __tracebackhide__ = True
        from valet_keys.models import Key

        unknown = sorted(set(options) - _mint_options())
        if unknown:
            raise TypeError(
                f"valet_key_factory() got an unknown option {unknown[0]!r}; "
                f"it takes user, description and {_describe(_mint_options())}."
            )
        _database_first(request)
        owner = user if user is not None else request.getfixturevalue("valet_user")
        if description is None:
            description = f"Test robot {next(numbers)}"
        try:
            key, secret = Key.objects.mint(owner, description, **options)
        except RuntimeError as error:
            if not _blocked(error):
                raise
            failure = _no_database(name)
        else:
            return MintedKey(key, secret)
        raise failure

    return mint


@pytest.fixture
def valet_key(
    request: pytest.FixtureRequest, valet_key_factory: KeyFactory
) -> MintedKey:
    """Return a ``MintedKey`` of ``valet_user``.

    ``@pytest.mark.valet_key(...)`` passes options to ``valet_key_factory``,
    such as ``description="Nightly backup"`` or ``expires_at=...``. The
    ``MintedKey`` holds the saved ``key``, its ``key_id`` and ``secret``, its
    ``user``, ``auth`` for requests and ``authorization`` for a header.
    """
    options = _marker_options(
        request,
        "valet_key",
        {"description"} | _mint_options(),
        example="description='Nightly backup'",
    )
    return valet_key_factory(**options)


@pytest.fixture
def robot_client(
    request: pytest.FixtureRequest, valet_key: MintedKey
) -> django.test.Client:
    """Return a Django test ``Client`` that presents ``valet_key``.

    Every request carries the key's ``Authorization`` header. CSRF checks
    are enforced, as for a robot in production: a view that does not accept
    valet keys refuses its unsafe requests with 403. It is the cheapest way
    to call a view as a robot, but it is not the robot's SDK; ``robot``
    is. ``@pytest.mark.valet_robot(raise_request_exception=False)`` turns a
    view's exception into the 500 response the site would send.
    """
    from django.test import Client

    options = _robot_options(request)
    return Client(
        enforce_csrf_checks=True,
        raise_request_exception=options.pop("raise_request_exception", True),
        headers={"Authorization": valet_key.authorization},
    )


@pytest.fixture
def robot_factory(request: pytest.FixtureRequest) -> Iterator[RobotFactory]:
    """Return a function that makes in-process robots: ``(key, *,
    raise_request_exception=True, **options) -> Client``.

    Each robot is a ``valet_keys_client.Client`` for ``http://testserver/``
    whose requests go through Django's request handling in this process, as
    ``robot``'s do. ``options`` go to the ``Client``, such as ``retries``.
    Use it for a test with several keys; the robots are closed after it.
    """
    name = _requested(request, "robot_factory")
    _require_settings(name)
    sessions: list[Any] = []

    def make(
        key: MintedKey, *, raise_request_exception: bool = True, **options: Any
    ) -> Client:
        __tracebackhide__ = True
        client = _in_process_client(key, raise_request_exception, options)
        sessions.append(client.session)
        return client

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def robot(request: pytest.FixtureRequest, valet_key: MintedKey) -> Iterator[Client]:
    """Return a ``valet_keys_client.Client`` that presents ``valet_key``
    to the site in this process.

    Its requests go through a transport adapter into Django's request
    handling, with all middleware, and no server or socket. The views run
    inside the test's database transaction, so they see the test's data and
    the test sees theirs, on any database. CSRF checks are enforced as in
    production; cookies, redirects, streaming responses and headers behave
    as over a network. An exception that escapes a view is raised into the
    test; ``@pytest.mark.valet_robot(raise_request_exception=False)`` gives
    the robot the 500 response instead. Other keywords of the marker go to
    the ``Client``, such as ``retries=0``.

    The client retries as configured but does not sleep between retries, and
    ignores timeouts: nothing crosses a network. What it cannot show is how
    the site behaves behind a real server; ``live_robot`` can.
    """
    options = _robot_options(request)
    raise_request_exception = options.pop("raise_request_exception", True)
    client = _in_process_client(valet_key, raise_request_exception, options)
    try:
        yield client
    finally:
        client.session.close()


@pytest.fixture
def live_robot(
    request: pytest.FixtureRequest, live_server: LiveServer, valet_key: MintedKey
) -> Iterator[Client]:
    """Return a ``valet_keys_client.Client`` that presents ``valet_key``
    to pytest-django's ``live_server``.

    Requests cross a real socket to a server thread, as in production. The
    cost is that of ``live_server``: the test runs with ``transactional_db``,
    which empties the tables after it, so it is much slower than ``robot``;
    and an exception in a view reaches the robot as a 500 response, not the
    test. Nagle's algorithm is turned off on the server's connections, which
    otherwise add tens of milliseconds to each request on a reused
    connection. Options of ``@pytest.mark.valet_robot`` go to the
    ``Client``; the client does not sleep between retries.
    """
    import requests

    _disable_nagle(live_server)
    options = _robot_options(request)
    options.pop("raise_request_exception", None)
    session = requests.Session()
    # The server is on this machine: a proxy from the environment must not
    # stand in between.
    session.trust_env = False
    try:
        yield _client(live_server.url, valet_key, session, options)
    finally:
        session.close()


@pytest.fixture
def valet_actions(request: pytest.FixtureRequest) -> Iterator[ValetActions]:
    """Return the actions logged with ``Key.log()`` during the test.

    It is a sequence of ``KeyAction`` instances, oldest first, with
    ``assert_logged(action, key=..., target=..., notes=...)``,
    ``assert_not_logged(...)`` and ``assert_logged_in_order(...)``, whose
    failures list every action logged beside the one expected. It listens
    to the ``action_logged`` signal from its setup to its teardown, in every
    thread, so it sees actions logged by ``robot``, ``robot_client`` and
    ``live_robot`` alike, but not rows written without ``Key.log()``.
    """
    name = _requested(request, "valet_actions")
    _require_settings(name)
    from valet_keys.signals import action_logged

    actions = ValetActions()

    def record(sender: object, action: KeyAction, **kwargs: object) -> None:
        actions.record(action)

    uid = f"pytest_valet_keys.valet_actions.{id(actions)}"
    action_logged.connect(record, weak=False, dispatch_uid=uid)
    try:
        yield actions
    finally:
        action_logged.disconnect(dispatch_uid=uid)


def _requested(request: pytest.FixtureRequest, default: str) -> str:
    """Return the name under which the test asked for a site fixture.

    An error is clearer when it names the fixture in the test's signature,
    such as ``robot``, than the one below it that failed.
    """
    for name in request.node.fixturenames:
        if name in SITE_FIXTURES:
            return str(name)
    return default


def _require_settings(name: str) -> None:
    __tracebackhide__ = True
    from django.conf import settings

    if not settings.configured:
        pytest.fail(
            f"{name} needs Django settings: set DJANGO_SETTINGS_MODULE in the "
            f"pytest configuration or the environment, or pass --ds.",
            pytrace=False,
        )


def _database_first(request: pytest.FixtureRequest) -> None:
    """Set up the test's database fixture before a site fixture uses it.

    A test's ``db`` or ``transactional_db`` may come after a site fixture in
    its signature, and so would be set up after it.
    """
    for database_fixture in ("transactional_db", "db"):
        if database_fixture in request.fixturenames:
            request.getfixturevalue(database_fixture)
            return


def _blocked(error: RuntimeError) -> bool:
    """Tell whether ``error`` is pytest-django refusing database access."""
    return _BLOCKED_DATABASE in str(error)


def _no_database(name: str) -> BaseException:
    """Return the failure of a site fixture used without database access.

    It is raised outside the except clause that caught pytest-django's
    error, so that pytest does not print that error above this one.
    """
    return pytest.fail.Exception(
        f"{name} needs database access: add @pytest.mark.django_db to the "
        f"test, or request the db or transactional_db fixture.",
        pytrace=False,
    )


def _faker(request: pytest.FixtureRequest, name: str) -> Any:
    __tracebackhide__ = True
    try:
        return request.getfixturevalue("faker")
    except pytest.FixtureLookupError:
        pytest.fail(
            f"{name} needs the faker fixture of Faker's pytest plugin, which "
            f"is not installed or is disabled (-p no:faker); install it with: "
            f"pip install 'valet-keys[pytest]'",
            pytrace=False,
        )


def _make_user(faker: Any) -> AbstractBaseUser:
    from django.contrib.auth import get_user_model
    from django.db import models

    user_model = get_user_model()
    field_names = {field.name for field in user_model._meta.get_fields()}

    # One person: the user name and address are made of the names, as people
    # often make theirs; it costs less than asking Faker for each.
    first_name, last_name = faker.first_name(), faker.last_name()
    username = _NOT_IN_USERNAME.sub("", f"{first_name}.{last_name}".lower())
    email = f"{username}@example.com"

    values: dict[str, Any] = {}
    if "first_name" in field_names:
        values["first_name"] = first_name
    if "last_name" in field_names:
        values["last_name"] = last_name
    email_field = user_model.get_email_field_name()
    if email_field in field_names:
        values[email_field] = email
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    is_email = isinstance(username_field, models.EmailField)
    values[user_model.USERNAME_FIELD] = email if is_email else username

    user: AbstractBaseUser = user_model(**values)
    user.set_unusable_password()
    user.save()
    return user


@functools.cache
def _mint_options() -> frozenset[str]:
    """Return the keyword options of ``Key.objects.mint()``."""
    from valet_keys.models import Key

    parameters = inspect.signature(Key.objects.mint).parameters.values()
    return frozenset(
        parameter.name
        for parameter in parameters
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    )


def _describe(names: AbstractSet[str]) -> str:
    return ", ".join(sorted(names))


def _robot_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Return the options of ``@pytest.mark.valet_robot``, checked."""
    __tracebackhide__ = True
    return _marker_options(
        request,
        "valet_robot",
        _ADAPTER_OPTIONS | _CLIENT_OPTIONS,
        example="raise_request_exception=False",
    )


def _marker_options(
    request: pytest.FixtureRequest,
    name: str,
    allowed: AbstractSet[str],
    *,
    example: str,
) -> dict[str, Any]:
    """Return the keyword options of the closest ``name`` marker, checked.

    Fail the test, without a traceback into the plugin, on positional
    arguments or an option not in ``allowed``.
    """
    __tracebackhide__ = True
    marker = request.node.get_closest_marker(name)
    if marker is None:
        return {}
    if marker.args:
        pytest.fail(
            f"@pytest.mark.{name} takes keyword options only, such as {example}.",
            pytrace=False,
        )
    unknown = sorted(set(marker.kwargs) - allowed)
    if unknown:
        pytest.fail(
            f"@pytest.mark.{name} got an unknown option {unknown[0]!r}; "
            f"it takes {_describe(allowed)}.",
            pytrace=False,
        )
    return dict(marker.kwargs)


def _in_process_client(
    key: MintedKey, raise_request_exception: bool, options: dict[str, Any]
) -> Client:
    """Return a client whose requests go into Django in this process."""
    import requests

    from .transport import DEFAULT_HOST, DjangoAdapter

    session = requests.Session()
    # Proxies, .netrc and certificate bundles from the environment mean
    # nothing in-process, and looking them up costs more than a view.
    session.trust_env = False
    adapter = DjangoAdapter(raise_request_exception=raise_request_exception)
    for scheme in ("http", "https"):
        session.mount(f"{scheme}://{DEFAULT_HOST}/", adapter)
    return _client(f"http://{DEFAULT_HOST}/", key, session, options)


def _client(
    base_url: str, key: MintedKey, session: Any, options: dict[str, Any]
) -> Client:
    from valet_keys_client import Client, Retries

    # Retrying is what the robot does; waiting in between only slows tests,
    # unless the test chose how to wait.
    retries = options.get("retries", Retries())
    if not isinstance(retries, Retries):
        retries = Retries(total=retries)
    if retries.sleep is None:
        retries = dataclasses.replace(retries, sleep=_no_wait)
    options["retries"] = retries
    client: Client = Client(
        base_url, key.key_id, key.secret, session=session, **options
    )
    return client


def _no_wait(seconds: float) -> None:
    """Take the place of ``time.sleep`` between a robot's retries."""


def _disable_nagle(live_server: LiveServer) -> None:
    """Send the live server's responses without waiting for ACKs.

    Django's server writes headers and body separately; with Nagle's
    algorithm on, the second write waits for the client's delayed ACK, about
    40 ms per request on a reused connection.
    """
    httpd = getattr(live_server.thread, "httpd", None)
    if httpd is None:
        return
    handler = httpd.RequestHandlerClass
    if getattr(handler, "disable_nagle_algorithm", False):
        return
    httpd.RequestHandlerClass = type(
        f"NoDelay{handler.__name__}", (handler,), {"disable_nagle_algorithm": True}
    )
