"""Collect the actions robots log during a test, and assert on them."""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias, overload

from .keys import MintedKey

if TYPE_CHECKING:
    from django.db.models import Model

    from valet_keys.models import Key, KeyAction

__all__ = ["ANY", "ExpectedAction", "ValetActions"]


class _Any(enum.Enum):
    ANY = "ANY"

    def __repr__(self) -> str:
        return "<any>"


#: Matches any value; the default of every criterion.
ANY = _Any.ANY

ActionSpec: TypeAlias = "str | re.Pattern[str] | Literal[_Any.ANY]"
KeySpec: TypeAlias = "MintedKey | Key | str | Literal[_Any.ANY]"
TargetSpec: TypeAlias = "Model | str | Literal[_Any.ANY] | None"
NotesSpec: TypeAlias = "str | re.Pattern[str] | Literal[_Any.ANY]"


@dataclass(frozen=True)
class ExpectedAction:
    """A description of an action, which logged actions match or not.

    ``action`` is the action's name, or a compiled pattern searched in it.
    ``key`` is a ``MintedKey``, a ``Key`` or a key identifier. ``target`` is
    the model instance the action was logged on (matched by model and
    primary key), a string matched against the readable snapshot of the
    target, or None for an action logged without one. ``notes`` is the exact
    text, or a compiled pattern searched in it. ``ANY``, the default of
    each, matches anything.
    """

    action: ActionSpec = ANY
    key: KeySpec = ANY
    target: TargetSpec = ANY
    notes: NotesSpec = ANY

    def matches(self, logged: KeyAction) -> bool:
        """Tell whether ``logged`` fits this description."""
        return (
            _text_matches(self.action, logged.action)
            and _key_matches(self.key, logged)
            and _target_matches(self.target, logged)
            and _text_matches(self.notes, logged.notes)
        )

    def columns(self) -> tuple[str, str, str, str]:
        """Return how each criterion reads in a failure message."""
        return (
            f"key={_describe_key(self.key)}",
            f"action={self.action!r}",
            f"target={_describe_target(self.target)}",
            f"notes={self.notes!r}",
        )


class ValetActions(Sequence["KeyAction"]):
    """The actions logged through ``Key.log()`` since it started listening.

    It is a sequence of ``KeyAction`` instances in the order they were
    logged, oldest first, whichever thread logged them. The ``assert_*``
    methods raise ``AssertionError`` with the expected action set beside
    every action logged so far.
    """

    def __init__(self) -> None:
        self._logged: list[KeyAction] = []
        self._lock = threading.Lock()

    def record(self, action: KeyAction) -> None:
        """Add a logged action; the fixture calls it on ``action_logged``."""
        with self._lock:
            self._logged.append(action)

    def clear(self) -> None:
        """Forget the actions logged so far, such as those of a setup."""
        with self._lock:
            self._logged.clear()

    @overload
    def __getitem__(self, index: int) -> KeyAction: ...
    @overload
    def __getitem__(self, index: slice) -> list[KeyAction]: ...
    def __getitem__(self, index: int | slice) -> KeyAction | list[KeyAction]:
        return self._snapshot()[index]

    def __len__(self) -> int:
        return len(self._logged)

    def __iter__(self) -> Iterator[KeyAction]:
        return iter(self._snapshot())

    def __repr__(self) -> str:
        return f"<ValetActions: {len(self)} logged>"

    def expect(
        self,
        action: ActionSpec = ANY,
        *,
        key: KeySpec = ANY,
        target: TargetSpec = ANY,
        notes: NotesSpec = ANY,
    ) -> ExpectedAction:
        """Describe an action, for ``assert_logged_in_order``."""
        return ExpectedAction(action, key, target, notes)

    def filter(
        self,
        action: ActionSpec = ANY,
        *,
        key: KeySpec = ANY,
        target: TargetSpec = ANY,
        notes: NotesSpec = ANY,
    ) -> list[KeyAction]:
        """Return the logged actions that match, oldest first."""
        expected = ExpectedAction(action, key, target, notes)
        return [logged for logged in self._snapshot() if expected.matches(logged)]

    def assert_logged(
        self,
        action: ActionSpec,
        *,
        key: KeySpec = ANY,
        target: TargetSpec = ANY,
        notes: NotesSpec = ANY,
    ) -> KeyAction:
        """Assert that a matching action was logged, and return the first.

        See ``ExpectedAction`` for what each criterion matches.
        """
        __tracebackhide__ = True
        expected = ExpectedAction(action, key, target, notes)
        logged = self._snapshot()
        for candidate in logged:
            if expected.matches(candidate):
                return candidate
        raise AssertionError(
            _report(
                "No logged action matches the expected one.",
                [("expected", expected.columns(), "")],
                logged,
                {},
            )
        )

    def assert_not_logged(
        self,
        action: ActionSpec = ANY,
        *,
        key: KeySpec = ANY,
        target: TargetSpec = ANY,
        notes: NotesSpec = ANY,
    ) -> None:
        """Assert that no matching action was logged.

        Called without criteria, assert that nothing was logged at all.
        """
        __tracebackhide__ = True
        expected = ExpectedAction(action, key, target, notes)
        logged = self._snapshot()
        marks = {
            index: "<- matches"
            for index, candidate in enumerate(logged)
            if expected.matches(candidate)
        }
        if marks:
            raise AssertionError(
                _report(
                    "An action that should not have been logged was logged.",
                    [("unexpected", expected.columns(), "")],
                    logged,
                    marks,
                )
            )

    def assert_logged_in_order(
        self, *expected: str | re.Pattern[str] | ExpectedAction
    ) -> list[KeyAction]:
        """Assert that matching actions were logged in this order.

        Each item is an action name or pattern, or an ``ExpectedAction`` from
        ``expect()``. Other actions may come before, between and after them.
        Return the actions that matched, one per item.
        """
        __tracebackhide__ = True
        wanted = [
            item if isinstance(item, ExpectedAction) else ExpectedAction(item)
            for item in expected
        ]
        logged = self._snapshot()
        found: list[KeyAction] = []
        marks: dict[int, str] = {}
        position = 0
        for number, item in enumerate(wanted, start=1):
            while position < len(logged) and not item.matches(logged[position]):
                position += 1
            if position == len(logged):
                after = f" after expected {number - 1}" if number > 1 else ""
                rows = [
                    (f"expected {n}", want.columns(), "")
                    for n, want in enumerate(wanted, start=1)
                ]
                raise AssertionError(
                    _report(
                        f"The logged actions do not match the expected ones in "
                        f"order: nothing matches expected {number}{after}.",
                        rows,
                        logged,
                        marks,
                    )
                )
            found.append(logged[position])
            marks[position] = f"<- expected {number}"
            position += 1
        return found

    def _snapshot(self) -> list[KeyAction]:
        with self._lock:
            return list(self._logged)


def _text_matches(spec: str | re.Pattern[str] | _Any, value: str) -> bool:
    if spec is ANY:
        return True
    if isinstance(spec, re.Pattern):
        return spec.search(value) is not None
    return spec == value


def _key_id(spec: MintedKey | Key | str) -> str:
    if isinstance(spec, str):
        return spec
    return spec.key_id


def _key_matches(spec: KeySpec, logged: KeyAction) -> bool:
    if spec is ANY:
        return True
    return _key_id(spec) == logged.key.key_id


def _target_matches(spec: TargetSpec, logged: KeyAction) -> bool:
    if spec is ANY:
        return True
    if spec is None:
        return not logged.object_id
    if isinstance(spec, str):
        return spec == logged.target_repr
    # Compared by name rather than through ContentType, which needs the
    # database and whose identifiers a transactional test may renumber.
    content_type = logged.content_type
    meta = spec._meta.concrete_model._meta  # type: ignore[union-attr]
    return (
        content_type is not None
        and (content_type.app_label, content_type.model)
        == (meta.app_label, meta.model_name)
        and logged.object_id == str(spec.pk)
    )


def _describe_key(spec: KeySpec) -> str:
    return repr(ANY) if spec is ANY else _key_id(spec)


def _describe_target(spec: TargetSpec) -> str:
    if spec is ANY or spec is None or isinstance(spec, str):
        return repr(spec)
    return f"{spec._meta.label_lower}:{spec.pk} {str(spec)!r}"


def _columns(logged: KeyAction) -> tuple[str, str, str, str]:
    if logged.object_id:
        content_type = logged.content_type
        label = (
            f"{content_type.app_label}.{content_type.model}"
            if content_type is not None
            else "(deleted type)"
        )
        target = f"{label}:{logged.object_id} {logged.target_repr!r}"
    else:
        target = "None"
    return (
        f"key={logged.key.key_id}",
        f"action={logged.action!r}",
        f"target={target}",
        f"notes={logged.notes!r}",
    )


def _report(
    summary: str,
    expected_rows: Sequence[tuple[str, tuple[str, ...], str]],
    logged: list[KeyAction],
    marks: dict[int, str],
) -> str:
    """Set the expected actions above every logged one, in aligned columns."""
    rows = list(expected_rows)
    if logged:
        rows += [
            (f"logged {number}", _columns(action), marks.get(number - 1, ""))
            for number, action in enumerate(logged, start=1)
        ]
    else:
        rows.append(("logged", ("nothing",), ""))
    label_width = max(len(label) for label, _, _ in rows)
    widths = [
        max((len(columns[i]) for _, columns, _ in rows if len(columns) > i), default=0)
        for i in range(4)
    ]
    lines = [summary]
    for label, columns, mark in rows:
        cells = [label.ljust(label_width)]
        cells += [
            cell if i == len(columns) - 1 and not mark else cell.ljust(widths[i])
            for i, cell in enumerate(columns)
        ]
        if mark:
            cells.append(mark)
        lines.append("  " + "  ".join(cells))
    return "\n".join(lines)
