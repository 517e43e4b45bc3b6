"""Seeds that never overlap between runs, validation that holds out whole generator units, and
the duplicate / diversity statistics of a pairs file (no model, no renderer)."""

from __future__ import annotations

from collections import Counter

from ictrag.training.data import Sample, split_samples, unit_of
from ictrag.training.synth.generate import FAMILIES, generate_diagram
from ictrag.training.synth.rewrite import template_logical
from ictrag.training.synth.seeds import item_seed
from ictrag.training.synth.stats import label_set, pair_stats
from ictrag.training.synth.vqa import synth_vqa

from ictrag.model import LogicalText

N = 200


def test_runs_with_neighbouring_seeds_share_no_item_at_any_offset():
    zero = [generate_diagram(i, seed=0) for i in range(2 * N)]
    one = [generate_diagram(i, seed=1) for i in range(N)]
    assert not {d.seed for d in zero} & {d.seed for d in one}
    assert len({d.seed for d in zero}) == 2 * N
    # random.Random(seed + index) made one[i] == zero[i + 1] for every i. Small diagrams of
    # the same template can coincide by chance, so a few equal codes are allowed, not a run.
    for offset in range(N):
        same = sum(zero[i + offset].code == one[i].code for i in range(N))
        assert same <= 5, (offset, same)
    assert item_seed(0, 1) != item_seed(1, 0) and item_seed(3, 7) == item_seed(3, 7)


def test_every_diagram_records_its_seed_and_unit():
    diagrams = [generate_diagram(i, seed=4) for i in range(300)]
    assert all(d.meta["item_seed"] == d.seed == item_seed(4, d.meta["index"]) for d in diagrams)
    families = Counter(d.unit.split(":", 1)[0] for d in diagrams)
    assert set(families) == set(FAMILIES)
    assert all(d.unit.split(":", 1)[0] == d.kind for d in diagrams)
    topologies = {d.unit for d in diagrams if d.kind == "topology"}
    assert len(topologies) >= 20  # rules, not one "topology" unit
    same = generate_diagram(17, seed=4)
    assert (same.unit, same.code) == (diagrams[17].unit, diagrams[17].code)


def _samples(diagrams) -> list[Sample]:
    return [Sample(d.id, "", [], "", unit=d.unit) for d in diagrams]


def test_validation_holds_out_whole_units():
    samples = _samples(generate_diagram(i, seed=0) for i in range(600))
    train, val = split_samples(samples, 0.05)
    train_units, val_units = {unit_of(s) for s in train}, {unit_of(s) for s in val}
    assert val and train and len(train) + len(val) == len(samples)
    assert not train_units & val_units
    # every family has a held-out unit, so eval loss covers unseen templates of each
    assert {u.split(":", 1)[0] for u in val_units} == set(FAMILIES)
    assert 0.02 < len(val) / len(samples) < 0.3
    # a unit's side never depends on the rest of the data: a subset splits the same way
    sub_train, sub_val = split_samples(samples[::3], 0.05)
    assert {unit_of(s) for s in sub_val} <= val_units
    assert {unit_of(s) for s in sub_train} <= train_units
    assert split_samples(samples, 0.05) == (train, val)


def test_samples_without_a_unit_split_one_by_one():
    samples = [Sample(f"expert-{i}", "", [], "") for i in range(200)]
    train, val = split_samples(samples, 0.1)
    assert 5 <= len(val) <= 40 and not {s.id for s in train} & {s.id for s in val}
    one_unit = [Sample(f"x{i}", "", [], "", unit="packet:IPv4 header") for i in range(5)]
    assert split_samples(one_unit, 0.5) == (one_unit, [])  # no validation rather than a leak


def _record(diagram) -> dict:
    logical = template_logical(diagram.mermaid, seed=diagram.seed)
    return {"id": diagram.id, "mermaid": diagram.mermaid, "unit": diagram.unit,
            "meta": dict(diagram.meta), "logical": logical.model_dump(mode="json"),
            "image": f"images/{diagram.id}.png"}  # fmt: skip


def test_vqa_items_carry_their_pair_unit_and_do_not_depend_on_order():
    pairs = [_record(generate_diagram(i, seed=2)) for i in range(30)]
    items, _ = synth_vqa(pairs, seed=0, per_pair=2)
    units = {p["id"]: p["unit"] for p in pairs}
    assert items and all(item.unit == units[item.pair_id] for item in items)
    reversed_items, _ = synth_vqa(pairs[::-1], seed=0, per_pair=2)
    key = lambda item: item.id  # noqa: E731
    assert sorted(items, key=key) == sorted(reversed_items, key=key)


def test_pair_stats_counts_duplicates_and_near_duplicates():
    records = [_record(generate_diagram(i, seed=0)) for i in range(120)]
    base = pair_stats(records)
    assert base.pairs == 120 and set(base.families) == set(FAMILIES)
    assert sum(f.pairs for f in base.families.values()) == 120
    assert all(f.size_min <= f.size_mean <= f.size_max for f in base.families.values())
    assert base.distinct_words > 50 and base.units >= 30
    # an exact copy, a whitespace variant and a copy with one extra component are caught
    big = next(r for r in records if len(label_set(LogicalText.model_validate(r["logical"]))) >= 10)
    copy = dict(records[0], id="copy")
    spaced = dict(records[2], id="spaced", mermaid=records[2]["mermaid"] + "\n\n")
    logical = dict(big["logical"], components=[*big["logical"]["components"], "Extra box"])
    near = dict(big, id="near", mermaid=big["mermaid"] + "\n%% near", logical=logical)
    grown = pair_stats([*records, copy, spaced, near])
    assert grown.exact_duplicates == base.exact_duplicates + 2
    assert grown.near_duplicates == base.near_duplicates + 3
    assert grown.exact_duplicate_rate == round(grown.exact_duplicates / 123, 4)


def test_validation_holds_out_one_renderer_style_and_shares_no_unit_with_training():
    from ictrag.training.data import held_style
    from ictrag.training.synth import sources
    from ictrag.training.synth.pairs import PairsOptions, plan_pairs
    from ictrag.training.synth.seeds import item_rng
    from ictrag.training.synth.styles import sample_style

    options = PairsOptions(n=900, out=".", renderers=list(sources.RENDERERS), per_structure=2)
    samples = []
    for planned in plan_pairs(options):
        diagram = generate_diagram(planned.index, options.seed)
        style = sample_style(planned.renderer, diagram.kind, item_rng(0, planned.id, "style"), theme=diagram.theme)  # fmt: skip
        samples.append(Sample(planned.id, "", [], "", unit=diagram.unit, style=style.name))
    style = held_style(samples)
    assert style and sum(s.style.split(":")[0] == style.split(":")[0] for s in samples) > sum(s.style == style for s in samples)  # fmt: skip
    train, val = split_samples(samples, 0.05)
    assert style not in {s.style for s in train} and style in {s.style for s in val}
    assert not {unit_of(s) for s in train} & {unit_of(s) for s in val}
    left_out = len(samples) - len(train) - len(val)
    assert 0 < left_out < 0.2 * len(samples)  # the held style's pairs of training units
    assert {s.style.split(":")[0] for s in train} == set(sources.RENDERERS)  # renderers, not all dropped
