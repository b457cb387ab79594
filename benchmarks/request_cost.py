"""Measure what a valet key adds to a request, beside the floor and limit.

Run: ``python benchmarks/request_cost.py [--database sqlite|postgresql]``

Every variant serves the same tiny view through Django's full request
handling (the test client, all the usual middleware). Rounds interleave the
variants so that noise on a shared machine hits them alike; medians and p95
are printed, with each variant's cost above the unauthenticated floor and
the valet key's added cost as a ratio to one hand-written SELECT of a key
and its owner, the limit for a check that is never stale.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import hmac
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(database: str) -> None:
    import django
    from django.conf import settings

    databases = {
        "sqlite": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(tempfile.mkdtemp(), "bench.sqlite3"),
        },
        "postgresql": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test",
            "USER": "postgres",
            "HOST": "127.0.0.1",
        },
    }
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
        DATABASES={"default": databases[database]},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "valet_keys",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        ROOT_URLCONF=__name__,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()


urlpatterns: list[object] = []


def build_views() -> dict[str, Callable[..., object]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.http import HttpResponse

    from valet_keys.credentials import parse_basic_authorization
    from valet_keys.decorators import accepts_valet_key
    from valet_keys.models import Key

    def plain(request):
        return HttpResponse("ok")

    @accepts_valet_key
    def valet(request):
        assert request.valet_key is not None
        return HttpResponse("ok")

    # The limit: one statement that reads every column of the key and its
    # owner, then the digest comparison. Nothing is built from the row.
    user_model = get_user_model()
    columns = [f"k.{f.column}" for f in Key._meta.concrete_fields]
    columns += [f"u.{f.column}" for f in user_model._meta.concrete_fields]
    digest_index = [f.name for f in Key._meta.concrete_fields].index("secret_digest")
    select = (
        f"SELECT {', '.join(columns)} FROM valet_keys_key k "
        f"JOIN {user_model._meta.db_table} u ON u.id = k.user_id WHERE k.key_id = %s"
    )

    def handwritten(request):
        key_id, secret = parse_basic_authorization(request.META["HTTP_AUTHORIZATION"])
        digest = hashlib.sha256(secret.encode()).hexdigest()
        with connection.cursor() as cursor:
            cursor.execute(select, [key_id])
            row = cursor.fetchone()
        assert row is not None
        assert hmac.compare_digest(row[digest_index], digest)
        return HttpResponse("ok")

    def orm(request):
        key_id, secret = parse_basic_authorization(request.META["HTTP_AUTHORIZATION"])
        digest = hashlib.sha256(secret.encode()).hexdigest()
        key = Key.objects.select_related("user").get(key_id=key_id)
        assert hmac.compare_digest(key.secret_digest, digest)
        return HttpResponse("ok")

    return {
        "no auth": plain,
        "valet key": valet,
        "hand SELECT": handwritten,
        "ORM": orm,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], default="sqlite"
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=100)
    args = parser.parse_args()

    configure(args.database)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import path

    from valet_keys.credentials import basic_authorization
    from valet_keys.models import Key

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        views = build_views()
        urlpatterns.extend(path(f"{i}/", view) for i, view in enumerate(views.values()))
        user = User.objects.create(username="robot-owner")
        key, secret = Key.objects.mint(user, "benchmark")
        client = Client(HTTP_AUTHORIZATION=basic_authorization(key.key_id, secret))
        urls = {name: f"/{i}/" for i, name in enumerate(views)}
        samples: dict[str, list[float]] = {name: [] for name in views}
        for url in urls.values():  # warm up
            for _ in range(50):
                assert client.get(url).status_code == 200
        # The collector would pause whichever variant happens to be running;
        # it runs between rounds instead, as timeit does.
        gc.disable()
        for _ in range(args.rounds):
            gc.collect()
            for name, url in urls.items():
                for _ in range(args.per_round):
                    start = time.perf_counter_ns()
                    client.get(url)
                    samples[name].append((time.perf_counter_ns() - start) / 1000)
        gc.enable()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor = medians["no auth"]
    runs = f"{args.rounds} rounds of {args.per_round} requests"
    print(f"Per-request cost on {args.database}, {runs} per variant")
    print(
        f"{'variant':<14}{'median µs':>11}{'p95 µs':>10}{'x floor':>9}{'added µs':>10}"
    )
    for name, values in samples.items():
        p95 = statistics.quantiles(values, n=20)[-1]
        print(
            f"{name:<14}{medians[name]:>11.0f}{p95:>10.0f}"
            f"{medians[name] / floor:>9.2f}{medians[name] - floor:>10.0f}"
        )
    limit = medians["hand SELECT"] - floor
    added = medians["valet key"] - floor
    ratio = added / limit
    print(f"valet key added cost / hand-written SELECT added cost = {ratio:.2f}")
    print("bar: at most 1.25")


if __name__ == "__main__":
    main()
