"""The plugin in a Django site's test suite, run by pytester.

Each test writes test modules as a site's developers would, runs pytest on
them in a subprocess, and checks the outcome and the exact text users see.
"""

import re

from tests.plugin.conftest import only_once

pytestmark = only_once


def test_a_site_tests_its_views_through_every_robot(site_project):
    site_project.makepyfile(
        test_comments="""
        import pytest

        from blog.models import Post

        pytestmark = pytest.mark.django_db


        @pytest.fixture
        def post():
            return Post.objects.create(slug="hello", title="Hello")


        def test_through_robot(robot, valet_actions, post):
            robot.post("posts/hello/comment/", data={"comment": "Nice"})
            valet_actions.assert_logged("blog.commented", target=post, notes="Nice")


        def test_through_robot_client(robot_client, valet_actions, post):
            robot_client.post("/posts/hello/comment/", {"comment": "Nice"})
            valet_actions.assert_logged("blog.commented", target=post, notes="Nice")


        def test_through_live_robot(live_robot, valet_actions, post):
            live_robot.post("posts/hello/comment/", data={"comment": "Nice"})
            valet_actions.assert_logged("blog.commented", target=post, notes="Nice")


        @pytest.mark.valet_robot(raise_request_exception=False)
        def test_a_broken_view_as_the_robot_sees_it(robot):
            from valet_keys_client import ServerError

            with pytest.raises(ServerError):
                robot.get("boom/")
        """,
        test_names="""
        import pytest

        pytestmark = pytest.mark.django_db


        def test_first(valet_user):
            print("user:", valet_user.username)


        def test_second(valet_user):
            print("user:", valet_user.username)


        class TestAnotherSeed:
            @pytest.fixture(autouse=True)
            def faker_seed(self):
                return 1

            def test_third(self, valet_user):
                print("user:", valet_user.username)
        """,
    )

    result = site_project.runpytest_subprocess("-s")

    # The project's only password hasher fails any test that runs it.
    result.assert_outcomes(passed=7)
    users = re.findall(r"user: (\S+)", result.stdout.str())
    assert len(users) == 3
    assert users[0] == users[1] != users[2]
    repeated = site_project.runpytest_subprocess("-s", "test_names.py")
    assert re.findall(r"user: (\S+)", repeated.stdout.str()) == users


def test_failures_say_what_to_add_or_fix(site_project):
    site_project.makepyfile(
        test_actions="""
        import pytest

        pytestmark = pytest.mark.django_db


        def test_expects_a_comment(robot, valet_key, valet_actions):
            valet_key.key.log("blog.liked", notes="Nice")
            valet_actions.assert_logged("blog.commented", notes="Nice")
        """,
        test_misuse="""
        import pytest


        def test_no_database(robot):
            pass


        def test_no_database_for_the_factory(valet_key_factory):
            valet_key_factory()


        @pytest.mark.django_db
        @pytest.mark.valet_key("Nightly")
        def test_positional_option(valet_key):
            pass


        @pytest.mark.django_db
        @pytest.mark.valet_key(colour="red")
        def test_unknown_key_option(valet_key):
            pass


        @pytest.mark.django_db
        @pytest.mark.valet_robot(retry=3)
        def test_unknown_robot_option(robot):
            pass
        """,
    )

    result = site_project.runpytest_subprocess()

    result.assert_outcomes(errors=4, failed=2)
    # A failed assertion points at the test's line, not the plugin's, and
    # sets the expected action beside every action logged.
    result.stdout.fnmatch_lines(
        [
            '>       valet_actions.assert_logged("blog.commented", notes="Nice")',
            "E       AssertionError: No logged action matches the expected one.",
            "E         expected  key=<any> * action='blog.commented'  "
            "target=<any>  notes='Nice'",
            "E         logged 1  key=vk_* action='blog.liked'      "
            "target=None   notes='Nice'",
            "test_actions.py:8: AssertionError",
        ]
    )
    result.stdout.no_fnmatch_line("*pytest_valet_keys*")

    for message in [
        "robot needs database access: add @pytest.mark.django_db to the test, "
        "or request the db or transactional_db fixture.",
        "valet_key_factory needs database access: add @pytest.mark.django_db "
        "to the test, or request the db or transactional_db fixture.",
        "@pytest.mark.valet_key takes keyword options only, such as "
        "description='Nightly backup'.",
        "@pytest.mark.valet_key got an unknown option 'colour'; it takes "
        "description, expires_at.",
        "@pytest.mark.valet_robot got an unknown option 'retry'; it takes "
        "raise_request_exception, retries, timeout, user_agent_extra.",
    ]:
        result.stdout.fnmatch_lines([message])
    # Only the plugin's message, not pytest-django's that it replaces.
    result.stdout.no_fnmatch_line("Database access not allowed*")


def test_site_fixtures_fail_without_django_settings(site_project):
    site_project.makefile(".ini", pytest="[pytest]\naddopts = -p no:cacheprovider\n")
    site_project.makepyfile(
        test_settings="""
        def test_key(valet_key):
            pass
        """
    )

    result = site_project.runpytest_subprocess()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "valet_key needs Django settings: set DJANGO_SETTINGS_MODULE in the "
            "pytest configuration or the environment, or pass --ds."
        ]
    )


def test_the_fixtures_work_under_xdist(site_project):
    site_project.makepyfile(
        test_parallel="""
        import pytest

        pytestmark = pytest.mark.django_db


        @pytest.mark.parametrize("number", range(6))
        def test_robot(robot, valet_actions, number):
            robot.whoami()
            valet_actions.assert_not_logged()


        def test_live_robot(live_robot):
            live_robot.whoami()
        """
    )

    result = site_project.runpytest_subprocess("-n", "2")

    result.assert_outcomes(passed=7)


def test_every_fixture_is_documented(site_project):
    result = site_project.runpytest_subprocess("--fixtures")

    for name, summary in [
        ("fake_valet_site", "Return a fake site that accepts valet keys, at"),
        ("live_robot", "Return a ``valet_keys_client.Client`` that presents"),
        ("robot", "Return a ``valet_keys_client.Client`` that presents"),
        ("robot_client", "Return a Django test ``Client`` that presents"),
        ("robot_factory", "Return a function that makes in-process robots:"),
        ("valet_actions", "Return the actions logged with ``Key.log()``"),
        ("valet_key", "Return a ``MintedKey`` of ``valet_user``."),
        ("valet_key_factory", "Return a function that mints keys:"),
        ("valet_user", "Return a new user of the user model, with a name"),
    ]:
        result.stdout.fnmatch_lines([f"{name} -- *", f"    {summary}*"])


def test_markers_are_registered_with_help(robot_project):
    # Markers do not depend on Django: the robot's project, which starts
    # faster, shows them as a site's would.
    result = robot_project.runpytest_subprocess("--markers")

    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.valet_key(**options): options of the valet_key "
            "fixture, passed to valet_key_factory: description='...' and the "
            "keyword options of Key.objects.mint(), such as "
            "expires_at=<aware datetime>.",
            "",
            "@pytest.mark.valet_robot(**options): options of the robot, "
            "robot_client and live_robot fixtures: raise_request_exception=False "
            "gives the robot a view's 500 response rather than raising its "
            "exception in the test; timeout, retries and user_agent_extra go to "
            "valet_keys_client.Client.",
        ]
    )
