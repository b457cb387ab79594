import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from valet_keys.models import Key, KeyAction

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = User(username="root", is_staff=True, is_superuser=True)
    admin.set_unusable_password()
    admin.save()
    client.force_login(admin)
    return client


def test_the_key_list_is_searchable_and_hides_secrets(admin_client, minted):
    key, secret = minted
    response = admin_client.get(
        reverse("admin:valet_keys_key_changelist"), {"q": key.key_id}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert key.key_id in page
    assert secret not in page
    assert key.secret_digest not in page


def test_the_key_page_shows_no_secret_or_digest(admin_client, minted):
    key, secret = minted
    response = admin_client.get(reverse("admin:valet_keys_key_change", args=[key.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert key.description in page
    assert secret not in page
    assert key.secret_digest not in page
    assert "secret_digest" not in page


def test_keys_cannot_be_added_or_deleted(admin_client, key):
    assert admin_client.get(reverse("admin:valet_keys_key_add")).status_code == 403
    delete_url = reverse("admin:valet_keys_key_delete", args=[key.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Key.objects.filter(pk=key.pk).exists()


def test_bulk_delete_is_not_offered(admin_client, key):
    page = admin_client.get(reverse("admin:valet_keys_key_changelist")).content
    assert b"delete_selected" not in page
    assert b"disable_keys" in page


def test_the_disable_action_disables_selected_keys(admin_client, user):
    first, _ = Key.objects.mint(user, "First")
    second, _ = Key.objects.mint(user, "Second")
    response = admin_client.post(
        reverse("admin:valet_keys_key_changelist"),
        {"action": "disable_keys", "_selected_action": [first.pk]},
        follow=True,
    )
    assert "Disabled 1 key." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_disabled
    assert not second.is_disabled


def test_actions_are_listed_searchable_and_read_only(admin_client, key):
    action = key.log("blog.commented", notes="Great post")
    changelist = reverse("admin:valet_keys_keyaction_changelist")
    response = admin_client.get(changelist, {"q": "Great"})
    assert response.status_code == 200
    assert "blog.commented" in response.content.decode()
    change = reverse("admin:valet_keys_keyaction_change", args=[action.pk])
    assert admin_client.post(change, {"notes": "edited"}).status_code == 403
    delete = reverse("admin:valet_keys_keyaction_delete", args=[action.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert KeyAction.objects.get(pk=action.pk).notes == "Great post"
