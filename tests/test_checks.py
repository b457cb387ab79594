import datetime

from django.core import checks
from django.test import override_settings
from django.urls import path


def run_checks():
    return {message.id: message for message in checks.run_checks()}


def test_a_correct_installation_passes():
    assert not [m for m in run_checks() if m.startswith("valet_keys.")]


@override_settings(VALET_KEYS={"PAGE_SIZE": 10})
def test_an_unknown_setting_is_reported_with_the_known_ones():
    message = run_checks()["valet_keys.E003"]
    assert message.msg == "VALET_KEYS has an unknown setting 'PAGE_SIZE'."
    assert "HISTORY_PAGE_SIZE" in message.hint


@override_settings(VALET_KEYS=[("REALM", "x")])
def test_settings_must_be_a_dict():
    message = run_checks()["valet_keys.E002"]
    assert message.msg == "The VALET_KEYS setting must be a dict."
    assert message.hint == "It is a list."


@override_settings(VALET_KEYS={"HISTORY_PAGE_SIZE": 0})
def test_the_page_size_must_be_sensible():
    assert run_checks()["valet_keys.E004"].hint == "It is 0."


@override_settings(VALET_KEYS={"BASE_TEMPLATE": "nowhere.html"})
def test_a_missing_base_template_is_reported():
    message = run_checks()["valet_keys.E005"]
    assert message.msg == (
        "VALET_KEYS['BASE_TEMPLATE'] names 'nowhere.html', which was not found."
    )


urlpatterns = [path("", lambda request: None)]


@override_settings(ROOT_URLCONF=__name__)
def test_urls_not_included_are_reported():
    message = run_checks()["valet_keys.W001"]
    assert message.msg == "The valet_keys pages are not mounted."
    assert 'include("valet_keys.urls")' in message.hint


@override_settings(
    VALET_KEYS={"LAST_USED_INTERVAL": datetime.timedelta(seconds=5)},
)
def test_settings_are_read_lazily_and_follow_override_settings():
    from valet_keys.conf import get_setting

    assert get_setting("LAST_USED_INTERVAL") == datetime.timedelta(seconds=5)
    assert get_setting("REALM") == "valet-keys"
