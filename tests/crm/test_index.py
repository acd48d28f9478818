"""The pipeline index filters, sorts and totals like a plain Python pass over the same records, and
an update gives the same answers as a rebuild."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fidus_desktop.collation import collation_key
from fidus_desktop.crm.filters import Due, PipelineFilter, Sort
from fidus_desktop.crm.index import PipelineSnapshot, Record
from fidus_desktop.domain.people import KycStatus
from fidus_desktop.domain.prospects import Stage

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)  # a Wednesday
TODAY = date(2026, 3, 4)
texts = st.text(alphabet="aAbBéÉzZ 0@.+-ñÑ", max_size=12)


def records(n: int, seed: int = 1) -> list[Record]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        due = rng.choice([math.nan, (NOW + timedelta(days=rng.randint(-10, 10))).timestamp()])
        out.append(Record(key=f"k{i}", is_lead=i % 7 == 0, name=rng.choice(["Ana", "ána", "Bruno", "zoe", "Élodie"])
                          + f" {i}", email=f"p{i}@example.com", phone=f"+1 305 555 {i:04d}",
                          stage=rng.choice(list(Stage)).value, source=rng.choice(["web", "referral", ""]),
                          owner=rng.choice(["Luis", "Ana", ""]), kyc=rng.choice(list(KycStatus)).value,
                          value=rng.choice([math.nan, float(rng.randint(1, 50) * 1000)]), due=due,
                          created=float(i), notes=rng.choice(["", "likes BALANCE", "call in spring"])))
    return out


def plain_match(r: Record, f: PipelineFilter) -> bool:
    if not f.include_leads and r.is_lead:
        return False
    if f.stages and r.stage not in {s.value for s in f.stages}:
        return False
    if f.kyc and r.kyc not in {k.value for k in f.kyc}:
        return False
    if f.source and r.source != f.source or f.owner and r.owner != f.owner:
        return False
    if f.due is Due.OVERDUE and not (not math.isnan(r.due) and r.due < NOW.timestamp()):
        return False
    if f.due is Due.NONE and not math.isnan(r.due):
        return False
    if f.due is Due.THIS_WEEK:
        end = datetime(2026, 3, 9, tzinfo=UTC).timestamp()  # Monday after
        if math.isnan(r.due) or not NOW.timestamp() <= r.due < end:
            return False
    text = f.text.strip().casefold()
    return not text or text in "\x1f".join((r.name, r.email, r.phone, r.notes)).casefold()


filters = st.builds(
    PipelineFilter, stages=st.frozensets(st.sampled_from(list(Stage)), max_size=3), source=st.sampled_from(["", "web"]),
    owner=st.sampled_from(["", "Luis"]), due=st.sampled_from(list(Due)),
    kyc=st.frozensets(st.sampled_from(list(KycStatus)), max_size=2),
    text=st.sampled_from(["", "an", "ÁNA", "55", "balance", "@exa", "zz", " 1"]), include_leads=st.booleans())


@settings(max_examples=120, deadline=None)
@given(filters)
def test_filters_match_a_plain_python_pass(flt):
    rows = records(300)
    snapshot = PipelineSnapshot(rows)
    got = [snapshot.keys[s] for s in snapshot.select(flt, Sort("created_at", False), today=TODAY, now=NOW)]
    assert got == [r.key for r in rows if plain_match(r, flt)]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["name", "email", "stage", "estimated_value", "next_action_due", "owner"]), st.booleans())
def test_sorting_is_a_stable_sort_of_the_same_values(field, descending):
    rows = records(200)
    snapshot = PipelineSnapshot(rows)
    got = [snapshot.keys[s] for s in snapshot.select(PipelineFilter(), Sort(field, descending))]
    stage_order = [s.value for s in Stage]
    key = {
        "name": lambda r: collation_key(r.name), "email": lambda r: collation_key(r.email),
        "owner": lambda r: collation_key(r.owner), "stage": lambda r: stage_order.index(r.stage),
        "estimated_value": lambda r: -math.inf if math.isnan(r.value) else r.value,
        "next_action_due": lambda r: -math.inf if math.isnan(r.due) else r.due,
    }[field]
    expected = sorted(rows, key=key, reverse=descending)
    assert [key(r) for r in expected] == [key(next(x for x in rows if x.key == k)) for k in got]
    for value in {key(r) for r in rows}:  # ties keep the store's order, both ways
        tied = [k for k in got if key(next(x for x in rows if x.key == k)) == value]
        assert tied == [r.key for r in rows if key(r) == value]


def test_totals_are_counts_and_sums_per_stage():
    rows = records(500)
    totals = PipelineSnapshot(rows).totals(PipelineFilter(owner="Luis"))
    for stage in Stage:
        mine = [r for r in rows if r.stage == stage.value and r.owner == "Luis"]
        assert totals[stage] == (len(mine), Decimal(sum(0 if math.isnan(r.value) else r.value for r in mine))
                                 .quantize(Decimal("0.01")))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 250), texts, st.sampled_from(list(Stage))), max_size=30),
       st.lists(st.integers(0, 250), max_size=10))
def test_an_updated_snapshot_answers_like_a_rebuilt_one(changes, removals):
    rows = records(200)
    first = PipelineSnapshot(rows).prepare(("name",))
    first.mask(PipelineFilter(text="x"))  # the search blob exists and must be carried over correctly
    by_key = {r.key: r for r in rows}
    incoming = []
    for n, name, stage in changes:
        key = f"k{n}"
        record = Record(key=key, is_lead=False, name=name, email=f"new{n}@example.com", stage=stage.value,
                        created=float(n))
        incoming.append(record)
        by_key[key] = record
    removed = [f"k{n}" for n in removals]
    updated = first.updated_with(incoming, removed)
    for key in removed:
        by_key.pop(key, None)
    # Removed records stay dead unless a later change in the same batch put them back: the index
    # applies puts first, then removals, and so does this model.
    rebuilt = PipelineSnapshot(list(by_key.values()))
    for flt, sort in ((PipelineFilter(), Sort("name", False)), (PipelineFilter(text="new"), Sort("name", True)),
                      (PipelineFilter(text="ana"), Sort("created_at", False)),
                      (PipelineFilter(stages=frozenset({Stage.WON})), Sort("name", False))):
        assert sorted(updated.keys[s] for s in updated.select(flt, sort)) == \
            sorted(rebuilt.keys[s] for s in rebuilt.select(flt, sort))
        got = [collation_key(updated.text["name"][s]) for s in updated.select(flt, sort)]
        assert got == sorted(got, reverse=sort.descending) or sort.field != "name"


def test_a_kanban_board_pages_each_column():
    rows = records(400)
    snapshot = PipelineSnapshot(rows)
    board = snapshot.board(PipelineFilter(), Sort("created_at", True), {s: 5 for s in Stage})
    for stage, column in board.columns.items():
        mine = [r for r in rows if r.stage == stage.value]
        assert column.count == len(mine)
        assert [c.key for c in column.cards] == [r.key for r in sorted(mine, key=lambda r: -r.created)][:5]
