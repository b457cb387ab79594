"""A key stops working at once, everywhere; its history outlives everything.

The multi-process tests serve the test database with two gunicorn workers
over real HTTP, and first make each worker authenticate the key, so a worker
that kept anything about it in memory would show it on the next request.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import migrations, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import valet_keys.migrations
from tests.conftest import basic_auth
from tests.security.conftest import serve_until_both_workers_answer
from valet_keys.models import Key, KeyAction

# Disabled or expired: the two ways a key ends while its owner stays.
ENDINGS = {
    "disabled": lambda key: key.disable(),
    "expired": lambda key: Key.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    ),
    "owner deactivated": lambda key: User.objects.filter(pk=key.user_id).update(
        is_active=False
    ),
    "owner deleted": lambda key: key.user.delete(),
}


@pytest.mark.multiprocess
@pytest.mark.parametrize("end", ENDINGS.values(), ids=ENDINGS.keys())
def test_a_key_that_ends_fails_on_the_next_request_in_every_worker(live_site, end):
    owner = User.objects.create(username="ada")
    key, secret = Key.objects.mint(owner, "Nightly robot")
    headers = {"Authorization": basic_auth(key.key_id, secret)}
    before = serve_until_both_workers_answer(live_site, "/served-by/", headers=headers)
    assert {r.json()["key_id"] for rs in before.values() for r in rs} == {key.key_id}

    end(key)

    # Each worker's very next request with the key is refused.
    after = serve_until_both_workers_answer(live_site, "/served-by/", headers=headers)
    assert {r.json()["key_id"] for rs in after.values() for r in rs} == {None}
    # Refused; or throttled, if reaching both workers took more failures
    # than the limit allows.
    refused = live_site.get("/robots-only/", headers=headers)
    assert refused.status_code in {401, 429}


# Deleting the owner


@pytest.fixture
def admin_client(client):
    admin = User(username="root", is_staff=True, is_superuser=True)
    admin.set_unusable_password()
    admin.save()
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_deleting_an_owner_keeps_every_key_and_action_of_theirs(user, other_user):
    keys = [Key.objects.mint(user, f"Robot {n}")[0] for n in range(3)]
    keys[1].disable()
    disabled_at = Key.objects.get(pk=keys[1].pk).disabled_at
    actions = [key.log("robot.ran", notes=key.key_id) for key in keys for _ in "ab"]
    kept, _ = Key.objects.mint(other_user, "Someone else's robot")

    user.delete()

    orphans = Key.objects.filter(pk__in=[key.pk for key in keys])
    assert orphans.count() == 3
    assert {(k.user_id, k.owner_label, k.is_disabled) for k in orphans} == {
        (None, "ada", True)
    }
    # A key disabled before keeps the time it was disabled.
    assert Key.objects.get(pk=keys[1].pk).disabled_at == disabled_at
    assert list(KeyAction.objects.filter(key__in=keys).order_by("id")) == actions
    kept.refresh_from_db()
    assert kept.user == other_user
    assert not kept.is_disabled


@pytest.mark.django_db
def test_an_orphaned_key_shows_its_former_owner_in_the_admin_and_command(
    admin_client, user
):
    key, _ = Key.objects.mint(user, "Orphaned robot")
    key.log("robot.ran")
    user.delete()

    change = admin_client.get(reverse("admin:valet_keys_key_change", args=[key.pk]))
    assert change.status_code == 200
    assert "ada" in change.content.decode()
    actions = admin_client.get(reverse("admin:valet_keys_keyaction_changelist"))
    assert actions.status_code == 200
    assert "robot.ran" in actions.content.decode()

    out = StringIO()
    call_command("valet_keys", "list", stdout=out)
    assert out.getvalue().startswith(f"{key.key_id}\tdisabled\tada\t")
    out = StringIO()
    call_command("valet_keys", "history", key.key_id, stdout=out)
    assert "\trobot.ran\t" in out.getvalue()


@pytest.mark.django_db
def test_deleting_an_owner_through_the_admin_keeps_the_keys(admin_client, user):
    key, secret = Key.objects.mint(user, "Robot")
    key.log("robot.ran")
    response = admin_client.post(
        reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    key.refresh_from_db()
    assert key.is_disabled
    assert key.actions.count() == 1
    robot = Client().get(
        "/robots-only/", HTTP_AUTHORIZATION=basic_auth(key.key_id, secret)
    )
    assert robot.status_code == 401


@pytest.mark.django_db
def test_a_new_user_with_the_same_name_does_not_inherit_the_keys(user):
    key, secret = Key.objects.mint(user, "Robot")
    user.delete()
    newcomer = User.objects.create(username="ada")
    client = Client()
    client.force_login(newcomer)
    assert list(client.get(reverse("valet_keys:list")).context["keys"]) == []
    history = client.get(reverse("valet_keys:history", args=[key.key_id]))
    assert history.status_code == 404
    robot = client.get(
        "/robots-only/", HTTP_AUTHORIZATION=basic_auth(key.key_id, secret)
    )
    assert robot.status_code == 401


# Migrations


# The models whose rows are the history, and whose deletion behaviour keeps it.
HISTORY_MODELS = {"key", "keyaction"}
# What deleting a referenced row must do to the row that refers to it.
KEPT_REFERENCES = {
    ("key", "user"): "SET_NULL",
    ("keyaction", "key"): "PROTECT",
}
# Statements that could remove history if a migration ran them.
DESTRUCTIVE_SQL = ("DROP ", "DELETE ", "TRUNCATE ")


def history_threats(operations):
    """Return a description of each operation that could lose history."""
    threats = []
    for operation in operations:
        name = type(operation).__name__
        model = getattr(operation, "model_name", None) or getattr(operation, "name", "")
        model = model.lower()
        if isinstance(operation, migrations.DeleteModel) and model in HISTORY_MODELS:
            threats.append(f"{name} {model}")
        elif isinstance(operation, migrations.RemoveField) and model in HISTORY_MODELS:
            threats.append(f"{name} {model}.{operation.name}")
        elif isinstance(operation, migrations.AlterField | migrations.AddField):
            reference = (model, operation.name)
            on_delete = getattr(operation.field.remote_field, "on_delete", None)
            if reference in KEPT_REFERENCES and (
                on_delete is None or on_delete.__name__ != KEPT_REFERENCES[reference]
            ):
                threats.append(f"{name} {model}.{operation.name} on_delete")
        elif isinstance(operation, migrations.RunSQL):
            sql = str(operation.sql).upper()
            if any(statement in sql for statement in DESTRUCTIVE_SQL):
                threats.append(f"{name} {operation.sql!r}")
        elif isinstance(operation, migrations.RunPython):
            # Code cannot be read for intent; each one must be reviewed and
            # listed here by hand.
            threats.append(f"{name} {operation.code.__qualname__}")
    return threats


def every_migration():
    for module in pkgutil.iter_modules(valet_keys.migrations.__path__):
        migration = importlib.import_module(f"valet_keys.migrations.{module.name}")
        yield module.name, migration.Migration


def test_the_app_has_migrations_to_read():
    assert [name for name, _ in every_migration()][:1] == ["0001_initial"]


@pytest.mark.parametrize(("name", "migration"), list(every_migration()))
def test_no_migration_drops_history(name, migration):
    assert history_threats(migration.operations) == []


@pytest.mark.parametrize(
    ("operation", "threat"),
    [
        (migrations.DeleteModel("KeyAction"), "DeleteModel keyaction"),
        (migrations.RemoveField("keyaction", "notes"), "RemoveField keyaction.notes"),
        (migrations.RemoveField("Key", "owner_label"), "RemoveField key.owner_label"),
        (
            migrations.AlterField(
                "key",
                "user",
                field=models.ForeignKey("auth.User", on_delete=models.CASCADE),
            ),
            "AlterField key.user on_delete",
        ),
        (
            migrations.RunSQL("delete from valet_keys_keyaction"),
            "RunSQL 'delete from valet_keys_keyaction'",
        ),
        (
            migrations.RunPython(history_threats),
            "RunPython history_threats",
        ),
    ],
    ids=["delete model", "remove field", "remove key field", "cascade", "sql", "code"],
)
def test_the_migration_reader_spots_each_way_of_losing_history(operation, threat):
    assert history_threats([operation]) == [threat]


def test_the_migration_reader_lets_harmless_operations_pass():
    harmless = [
        migrations.AddField("keyaction", "extra", models.TextField(blank=True)),
        migrations.AlterField(
            "key", "user", models.ForeignKey("auth.User", models.SET_NULL, null=True)
        ),
        migrations.RemoveField("somethingelse", "notes"),
        migrations.RunSQL("CREATE INDEX x ON valet_keys_keyaction (created)"),
    ]
    assert history_threats(harmless) == []
