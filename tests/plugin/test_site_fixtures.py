"""The site-side fixtures, used in-process as a site's tests use them."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client as DjangoClient
from django.utils import timezone

from pytest_valet_keys import MintedKey
from tests.conftest import basic_auth
from valet_keys.models import Key
from valet_keys_client import Client, Unauthorized

pytestmark = pytest.mark.django_db

IN_A_WEEK = datetime.datetime(2031, 1, 8, tzinfo=datetime.UTC)


# valet_user


def test_valet_user_is_a_saved_user_with_faker_names(valet_user):
    assert isinstance(valet_user, User)
    assert User.objects.get(pk=valet_user.pk) == valet_user
    username = f"{valet_user.first_name}.{valet_user.last_name}".lower()
    assert valet_user.username == username
    assert valet_user.email == f"{username}@example.com"


def test_valet_user_has_no_usable_password(valet_user):
    assert not valet_user.has_usable_password()


def test_valet_user_follows_the_faker_seed(valet_user, faker):
    # The faker fixture reseeds a shared instance for each test; the same
    # seed again gives the same names again.
    faker.seed_instance(0)

    assert (faker.first_name(), faker.last_name()) == (
        valet_user.first_name,
        valet_user.last_name,
    )


def test_valet_user_is_set_up_after_the_db_fixture_it_comes_before(valet_user, db):
    assert User.objects.filter(pk=valet_user.pk).exists()


# valet_key_factory and valet_key


def test_valet_key_factory_mints_keys_of_valet_user_by_default(
    valet_key_factory, valet_user
):
    first = valet_key_factory()
    second = valet_key_factory()

    assert first.user == second.user == valet_user
    assert [first.key.description, second.key.description] == [
        "Test robot 1",
        "Test robot 2",
    ]
    assert first.key_id != second.key_id


def test_valet_key_factory_takes_a_user_a_description_and_mint_options(
    valet_key_factory,
):
    owner = User.objects.create(username="grace")

    minted = valet_key_factory(owner, "Archive robot", expires_at=IN_A_WEEK)

    key = Key.objects.get(key_id=minted.key_id)
    assert (key.user, key.description, key.expires_at) == (
        owner,
        "Archive robot",
        IN_A_WEEK,
    )


def test_valet_key_factory_refuses_an_unknown_option(valet_key_factory):
    with pytest.raises(TypeError) as caught:
        valet_key_factory(colour="red")

    assert str(caught.value) == (
        "valet_key_factory() got an unknown option 'colour'; it takes user, "
        "description and expires_at."
    )


def test_valet_key_is_a_usable_key_of_valet_user(valet_key, valet_user):
    assert isinstance(valet_key, MintedKey)
    assert valet_key.user == valet_user
    assert valet_key.key.is_usable
    assert valet_key.key_id == valet_key.key.key_id


@pytest.mark.valet_key(description="Nightly backup", expires_at=IN_A_WEEK)
def test_the_valet_key_marker_passes_options_to_the_factory(valet_key):
    assert valet_key.key.description == "Nightly backup"
    assert valet_key.key.expires_at == IN_A_WEEK


def test_a_minted_key_gives_its_credential_in_each_form_requests_takes(valet_key):
    assert valet_key.auth == (valet_key.key_id, valet_key.secret)
    assert valet_key.authorization == basic_auth(valet_key.key_id, valet_key.secret)


def test_a_minted_key_keeps_its_secret_out_of_its_repr(valet_key, valet_user):
    assert repr(valet_key) == f"<MintedKey {valet_key.key_id} of {valet_user}>"
    assert valet_key.secret not in repr(valet_key)


# robot_client


def test_robot_client_presents_the_key(robot_client, valet_user):
    response = robot_client.get("/hello/")

    assert isinstance(robot_client, DjangoClient)
    assert response.content.decode() == (
        f"HELLO ROBOT, I SEE YOU ARE IMPERSONATING {valet_user.username}"
    )


@pytest.mark.urls("tests.plugin.urls")
def test_robot_client_enforces_csrf_checks_as_in_production(robot_client):
    assert robot_client.post("/plugin/unguarded/").status_code == 403
    assert robot_client.post("/plugin/echo/").status_code == 200


@pytest.mark.urls("tests.plugin.urls")
def test_robot_client_raises_a_view_exception(robot_client):
    with pytest.raises(ValueError, match=r"^The view broke\.$"):
        robot_client.get("/plugin/broken/")


@pytest.mark.urls("tests.plugin.urls")
@pytest.mark.valet_robot(raise_request_exception=False)
def test_robot_client_gets_a_500_when_asked(robot_client):
    assert robot_client.get("/plugin/broken/").status_code == 500


# robot and robot_factory


def test_robot_is_the_sdk_client_for_the_key(robot, valet_key, valet_user):
    info = robot.whoami()

    assert isinstance(robot, Client)
    assert robot.base_url == "http://testserver/"
    assert (info.key_id, info.user) == (valet_key.key_id, valet_user.username)


def test_robot_is_refused_once_its_key_is_disabled(robot, valet_key):
    robot.get("robots-only/")
    valet_key.key.disable()

    with pytest.raises(Unauthorized):
        robot.get("robots-only/")


@pytest.mark.valet_key(expires_at=timezone.now() - datetime.timedelta(days=1))
def test_robot_with_an_expired_key_is_refused(robot):
    with pytest.raises(Unauthorized):
        robot.whoami()


def test_robot_factory_makes_a_robot_for_each_key(robot_factory, valet_key_factory):
    first, second = valet_key_factory(), valet_key_factory()

    robots = [robot_factory(first), robot_factory(second)]

    assert [robot.whoami().key_id for robot in robots] == [
        first.key_id,
        second.key_id,
    ]
