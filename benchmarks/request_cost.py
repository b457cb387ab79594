"""Measure what each way of checking a key adds to a request.

Run: ``python benchmarks/request_cost.py [--database sqlite|postgresql]``

Every variant serves the same tiny view through Django's full request
handling: the test client and a new project's middleware. The plain Django
variants are measured above the same view with no check (the floor); the
REST framework ones above a REST framework view with no check, so that what
they add is the authentication and not the framework. Among the plain ones,
one hand-written SELECT of the key and its owner is the limit for a check
that is never stale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import harness

# The lower the better: what a valet key adds, over what the hand-written
# SELECT adds, and over what the fastest of the peers adds (DESIGN.md).
LIMIT_BAR = 1.25
PEER_BARS = {"sqlite": 0.5, "postgresql": 0.7}

FLOOR = "no auth"
DRF_FLOOR = "DRF view, no auth"
VALET = "@accepts_valet_key"
LIMIT = "hand-written SELECT"
VALET_DRF = "ValetKeyAuthentication (DRF)"
# The decorator's layers, measured alone to show where its cost comes from.
UNTHROTTLED = "  the same without throttling"
AUTHENTICATE = "  its authenticate_request() alone"
LOOKUP = "  its key lookup alone"
PEERS = ("DRF TokenAuthentication", "drf-api-key HasAPIKey", "knox TokenAuthentication")


@dataclass(frozen=True)
class Variant:
    name: str
    path: str
    credential: str
    floor: str


VARIANTS = [
    Variant(FLOOR, "/plain/no-auth/", "valet", FLOOR),
    Variant(LIMIT, "/plain/hand-select/", "valet", FLOOR),
    Variant(VALET, "/plain/valet-key/", "valet", FLOOR),
    Variant(UNTHROTTLED, "/plain/valet-key-unthrottled/", "valet", FLOOR),
    Variant(AUTHENTICATE, "/plain/authenticate-only/", "valet", FLOOR),
    Variant(LOOKUP, "/plain/lookup-only/", "valet", FLOOR),
    Variant("ORM select_related", "/plain/orm/", "valet", FLOOR),
    Variant(DRF_FLOOR, "/drf/no-auth/", "valet", DRF_FLOOR),
    Variant(PEERS[0], "/drf/token/", "drf token", DRF_FLOOR),
    Variant(PEERS[1], "/drf/api-key/", "api key", DRF_FLOOR),
    Variant(PEERS[2], "/drf/knox/", "knox", DRF_FLOOR),
    Variant(VALET_DRF, "/drf/valet-key/", "valet", DRF_FLOOR),
]


def authorizations() -> dict[str, str]:
    """Make one credential of each kind and return its Authorization value."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    from valet_keys.credentials import basic_authorization
    from valet_keys.models import Key

    user = get_user_model().objects.create(username="robot-owner")
    key, secret = Key.objects.mint(user, "benchmark robot")
    token = Token.objects.create(user=user)
    _, api_key = APIKey.objects.create_key(name="benchmark robot")
    _, knox_token = AuthToken.objects.create(user)
    return {
        "valet": basic_authorization(key.key_id, secret),
        "drf token": f"Token {token.key}",
        "api key": f"Api-Key {api_key}",
        "knox": f"Token {knox_token}",
    }


def check_lookup_matches_orm() -> None:
    """Stop unless the hand-built key and owner equal what the ORM loads.

    The lookup builds both instances itself for speed; a figure for a
    lookup that returned something else would be worthless.
    """
    from valet_keys.authentication import _key_query
    from valet_keys.models import Key

    expected = Key.objects.select_related("user").get()
    fetched = _key_query("default").fetch("default", expected.key_id)
    assert fetched is not None
    for built, loaded in ((fetched, expected), (fetched.user, expected.user)):
        for field in type(loaded)._meta.concrete_fields:
            mine = getattr(built, field.attname)
            theirs = getattr(loaded, field.attname)
            if mine != theirs or type(mine) is not type(theirs):
                sys.exit(
                    f"The lookup read {field.attname}={mine!r}, the ORM {theirs!r}."
                )


def main() -> None:
    args = harness.parser(__doc__.splitlines()[0]).parse_args()
    harness.start(args.database, "request")

    from benchsite import views
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    variants = [
        v for v in VARIANTS if v.name != VALET_DRF or views.ValetKeyAuthentication
    ]
    headers = authorizations()
    clients = {
        v.name: Client(HTTP_AUTHORIZATION=headers[v.credential]) for v in variants
    }

    def request(variant: Variant) -> Callable[[], object]:
        client = clients[variant.name]
        path = variant.path
        return lambda: client.get(path)

    calls = {v.name: request(v) for v in variants}
    queries = {}
    for variant in variants:
        response = clients[variant.name].get(variant.path)
        if response.status_code != 200:
            sys.exit(f"{variant.name} answered {response.status_code}, not 200.")
        # Counted on a request after the first, as a robot's requests are:
        # the valet key writes its last use at most once a minute.
        with CaptureQueriesContext(connection) as captured:
            clients[variant.name].get(variant.path)
        queries[variant.name] = len(captured)

    check_lookup_matches_orm()
    rounds, per_round = (6, 25) if args.quick else (30, 100)
    samples = harness.interleaved(calls, rounds=rounds, per_round=per_round)

    report = harness.Report("request_cost", args.database, args.quick)
    report.data = summarise(samples, variants, queries)
    report.data["rounds"] = rounds
    report.data["per_round"] = per_round
    report.tables.append(table(report.data, args.database, rounds, per_round))
    add_bars(report, samples, variants, args.database)
    harness.finish(report, args)


def summarise(
    samples: harness.Samples, variants: list[Variant], queries: dict[str, int]
) -> dict[str, object]:
    medians = harness.round_medians(samples)
    rows = {}
    for variant in variants:
        values = harness.flat(samples[variant.name])
        rows[variant.name] = {
            "median": harness.median(values),
            "p95": harness.p95(values),
            "floor": variant.floor,
            "x floor": harness.ratio_of_rounds(medians, variant.name, FLOOR),
            "added": harness.median(
                [
                    top - bottom
                    for top, bottom in zip(
                        medians[variant.name], medians[variant.floor], strict=True
                    )
                ]
            ),
            "added / limit": harness.ratio_of_rounds(
                medians,
                variant.name,
                LIMIT,
                floor=variant.floor,
                denominator_floor=FLOOR,
            ),
            "queries": queries[variant.name],
        }
    # The peer that adds least sets the second bar; every variant gets its
    # ratio to it, each above its own floor.
    fastest = min(PEERS, key=lambda name: rows[name]["added"])
    for variant in variants:
        rows[variant.name]["added / fastest peer"] = harness.ratio_of_rounds(
            medians,
            variant.name,
            fastest,
            floor=variant.floor,
            denominator_floor=DRF_FLOOR,
        )
    return {"variants": rows, "fastest peer": fastest}


def table(
    data: dict[str, object], database: str, rounds: int, per_round: int
) -> harness.Table:
    rows = data["variants"]
    assert isinstance(rows, dict)
    result = harness.Table(
        f"Per-request cost through the test client, {database}",
        [
            "variant",
            "median µs",
            "p95 µs",
            "x no auth",
            "added µs",
            "added / SELECT's",
            "added / fastest peer's",
            "queries",
        ],
    )
    for name, row in rows.items():
        floor = name in (FLOOR, DRF_FLOOR)
        result.rows.append(
            [
                name,
                row["median"],
                row["p95"],
                row["x floor"],
                "" if floor else row["added"],
                "" if floor else row["added / limit"],
                "" if floor else row["added / fastest peer"],
                row["queries"],
            ]
        )
    result.notes += [
        f"{rounds} interleaved rounds of {per_round} requests per variant.",
        "added: above the plain view with no auth; for REST framework views, "
        "above the REST framework view with no auth.",
        "Ratios are medians of the ratios within each round; the fastest "
        f"peer is {data['fastest peer']}.",
    ]
    return result


def add_bars(
    report: harness.Report,
    samples: harness.Samples,
    variants: list[Variant],
    database: str,
) -> None:
    medians = harness.round_medians(samples)
    fastest = report.data["fastest peer"]
    report.bars.append(
        harness.Bar(
            f"{VALET} added cost / hand-written SELECT's ({database})",
            harness.ratio_of_rounds(medians, VALET, LIMIT, floor=FLOOR),
            LIMIT_BAR,
        )
    )
    report.bars.append(
        harness.Bar(
            f"{VALET} added cost / fastest peer's, {fastest} ({database})",
            harness.ratio_of_rounds(
                medians, VALET, fastest, floor=FLOOR, denominator_floor=DRF_FLOOR
            ),
            PEER_BARS[database],
        )
    )
    if any(v.name == VALET_DRF for v in variants):
        report.bars.append(
            harness.Bar(
                f"{VALET_DRF} added cost / fastest peer's ({database})",
                harness.ratio_of_rounds(medians, VALET_DRF, fastest, floor=DRF_FLOOR),
                PEER_BARS[database],
            )
        )


if __name__ == "__main__":
    main()
