"""The plugin in a robot's test suite, without Django, run by pytester."""

from tests.plugin.conftest import only_once

pytestmark = only_once


def test_a_robot_is_tested_against_the_fake_site_without_django(robot_project):
    robot_project.makepyfile(
        test_robot="""
        import sys

        import pytest
        from valet_keys_client import Client, TooManyRequests, Unauthorized


        def test_django_is_not_there():
            with pytest.raises(ModuleNotFoundError):
                import django
            assert not [name for name in sys.modules if name.startswith("django")]


        def test_the_robot_calls_an_endpoint(fake_valet_site):
            fake_valet_site.add("POST", "api/notes/", status=201, json={"id": 7})

            with fake_valet_site.client() as client:
                created = client.post("api/notes/", json={"text": "Hi"}).json()

            assert created == {"id": 7}
            assert fake_valet_site.requests[0].json() == {"text": "Hi"}


        def test_the_robot_reads_its_key_from_the_environment(
            fake_valet_site, monkeypatch
        ):
            for name, value in fake_valet_site.environ().items():
                monkeypatch.setenv(name, value)

            assert Client.from_env().whoami().user == "robot-owner"


        def test_a_wrong_key_is_refused(fake_valet_site):
            fake_valet_site.key.disable()

            with pytest.raises(Unauthorized):
                fake_valet_site.client().whoami()


        def test_a_busy_site_asks_to_wait(fake_valet_site):
            fake_valet_site.add("POST", "api/notes/")
            fake_valet_site.throttle("POST", "api/notes/", retry_after=30)

            with pytest.raises(TooManyRequests) as caught:
                fake_valet_site.client().post("api/notes/")

            assert caught.value.retry_after == 30


        def test_a_site_fixture(valet_key):
            pass
        """
    )

    result = robot_project.runpytest_subprocess()

    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of test_a_site_fixture _*",
            "valet_key needs pytest-django, which is not installed; install it "
            "with: pip install 'valet-keys[pytest]'",
        ]
    )


def test_the_site_fixtures_say_what_they_need_in_the_fixture_list(robot_project):
    result = robot_project.runpytest_subprocess("--fixtures")

    result.stdout.fnmatch_lines(
        [
            "fake_valet_site -- *",
            "    Return a fake site that accepts valet keys, at",
            "*fixtures defined from pytest_valet_keys.unavailable*",
            "live_robot -- *",
            "    Unavailable: needs pytest-django, which is not installed; install "
            "it with: pip install 'valet-keys[pytest]'",
        ]
    )
