"""BioSNAP loader on fixture files in the real format, and the planted generator (notebook 04)."""

from pathlib import Path

import pytest
import torch

from lecturekit.data.polypharmacy import DDI, PPI_EDGE, TARGET_EDGE, TARGETED_BY, load_biosnap, make_planted

torch.set_num_threads(1)
FIXTURES = Path(__file__).parent / "fixtures" / "biosnap"


def test_load_biosnap_fixture():
    data = load_biosnap(FIXTURES / "good", min_pairs=3)
    assert data["drug"].num_nodes == 5
    assert data["protein"].num_nodes == 5
    assert data.side_effect_ids == ["C0035344", "C0151714"]
    assert data.side_effect_names == ["C0035344 retinopathy of prematurity", "C0151714 hypermagnesemia"]
    ei, et = data[DDI].edge_index, data[DDI].edge_type
    assert ei.shape == (2, 8) and et.tolist().count(0) == 4 and et.tolist().count(1) == 4
    assert bool((ei[0] < ei[1]).all())  # each unordered pair once; duplicate and reversed rows merged
    drugs = data["drug"].names
    pair = (drugs.index("CID000002173"), drugs.index("CID000003345"))
    assert sum(1 for k in range(ei.size(1)) if (ei[0, k].item(), ei[1, k].item()) == pair and et[k] == 1) == 1
    assert data[PPI_EDGE].edge_index.shape == (2, 6)  # 3 pairs (self-pair dropped), both directions
    assert data[TARGET_EDGE].edge_index.shape == (2, 3)  # target of a drug outside the combo file dropped
    assert torch.equal(data[TARGETED_BY].edge_index, data[TARGET_EDGE].edge_index.flip(0))
    assert data["drug"].x.shape == (5, 2) and data["drug"].x.sum() == 3


def test_load_biosnap_min_pairs_and_targets_all():
    assert load_biosnap(FIXTURES / "good", min_pairs=1).num_side_effects == 3
    assert load_biosnap(FIXTURES / "good", min_pairs=5).num_side_effects == 0
    data = load_biosnap(FIXTURES / "good", min_pairs=3, targets="bio-decagon-targets-all.csv")
    assert data[TARGET_EDGE].edge_index.shape == (2, 4)


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("bad_row", r"bio-decagon-combo\.csv:4: expected 4 fields"),
        ("bad_header", r"bio-decagon-ppi\.csv:1: header"),
        ("empty_id", r"bio-decagon-targets\.csv:3: empty value in column 'STITCH'"),
    ],
)
def test_load_biosnap_malformed(folder, message):
    with pytest.raises(ValueError, match=message):
        load_biosnap(FIXTURES / folder)


def test_load_biosnap_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="bio-decagon-combo.csv"):
        load_biosnap(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load_biosnap(tmp_path / "nope")
    with pytest.raises(ValueError, match="min_pairs"):
        load_biosnap(FIXTURES / "good", min_pairs=0)


def test_make_planted_structure_and_seed():
    kw = dict(num_drugs=60, num_proteins=200, num_modules=6, num_side_effects=8, pairs_per_side_effect=20)
    data = make_planted(**kw, seed=3)
    again = make_planted(**kw, seed=3)
    assert torch.equal(data[DDI].edge_index, again[DDI].edge_index)
    assert data.num_side_effects == 8 and len(data.side_effect_names) == 8
    assert data.side_effect_kind.count("popularity") == 3
    ei, et = data[DDI].edge_index, data[DDI].edge_type
    assert bool((ei[0] < ei[1]).all())
    keys = et * 3600 + ei[0] * 60 + ei[1]
    assert keys.unique().numel() == keys.numel()
    # Molecular side effects: most pairs join a drug hitting module a with one hitting module b.
    modules = data["drug"].modules
    r = 0
    a, b = data.side_effect_modules[r]
    pairs = ei[:, et == r].t().tolist()
    good = sum((a in modules[i] and b in modules[j]) or (b in modules[i] and a in modules[j]) for i, j in pairs)
    assert good >= 0.8 * len(pairs)
    # PPI is mostly within modules.
    pm = data["protein"].module
    ppi = data[PPI_EDGE].edge_index
    assert (pm[ppi[0]] == pm[ppi[1]]).float().mean() > 0.8
    assert data["drug"].x.shape == (60, 40)


def test_make_planted_bad_args():
    with pytest.raises(ValueError, match="num_drugs"):
        make_planted(num_drugs=1)
    with pytest.raises(ValueError, match="targets_per_drug"):
        make_planted(targets_per_drug=(3, 1))
