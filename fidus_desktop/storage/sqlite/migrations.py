"""Numbered upgrade steps of the fund database (``PRAGMA user_version``).

Users skip releases, so steps are small, ordered, never edited once released, and all run in one
transaction (:func:`~.connection.upgrade_schema`): a file is either fully upgraded or untouched.
Tables, columns and indexes that follow from the collection specs are not steps: ``schema.py``
reconciles them at every start-up. A step is for what cannot be derived, for example::

    async def _v2_split_names(tx, layouts):
        # rename a table, rewrite a field inside every document, then
        await schema.refill_columns(tx, layouts["crm_prospects"])

and ``(2, "split names", _v2_split_names)`` appended to :data:`STEPS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from . import schema
from .connection import Step, Transaction
from .layout import TableLayout

type Layouts = Mapping[str, TableLayout]
type FundStep = tuple[int, str, Callable[[Transaction, Layouts], Awaitable[None]]]


async def _v1_initial_tables(tx: Transaction, layouts: Layouts) -> None:
    for layout in layouts.values():
        await schema.create_table(tx, layout)


STEPS: tuple[FundStep, ...] = (
    (1, "initial tables", _v1_initial_tables),
)

SCHEMA_VERSION = STEPS[-1][0]


def bind(steps: Sequence[FundStep], layouts: Layouts) -> list[Step]:
    """The steps with the tables they work on, as :func:`~.connection.upgrade_schema` takes them."""

    def bound(step: Callable[[Transaction, Layouts], Awaitable[None]]) -> Callable[[Transaction], Awaitable[None]]:
        return lambda tx: step(tx, layouts)

    return [(version, description, bound(step)) for version, description, step in steps]
