"""BioSNAP loader on fixture files in the real format, and the planted generator (notebook 04)."""

import gzip
import shutil
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
    good = sum(
        (a in modules[i] and b in modules[j]) or (b in modules[i] and a in modules[j]) for i, j in pairs
    )
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


def test_load_biosnap_counts_what_it_skips():
    data = load_biosnap(FIXTURES / "good", min_pairs=3)
    skipped = data.skipped
    assert skipped["combo rows pairing a drug with itself"] == 1
    assert skipped["combo rows repeating a (pair, side effect)"] == 1  # the reversed hypermagnesemia row
    assert skipped["side effects with fewer than min_pairs=3 pairs"] == 1  # atelectasis: 2 pairs
    assert skipped["drug pairs of those side effects"] == 2
    assert skipped["ppi rows pairing a gene with itself"] == 1
    assert skipped["bio-decagon-targets.csv rows of drugs outside the combo file"] == 1


def test_min_pairs_leaving_no_side_effect_says_what_was_filtered():
    with pytest.raises(
        ValueError,
        match=r"bio-decagon-combo\.csv: no side effect left after filtering: all 3 "
        r"side effects have fewer than min_pairs=5 .*the largest has 4",
    ):
        load_biosnap(FIXTURES / "good", min_pairs=5)


def _copy_good(tmp_path: Path) -> Path:
    folder = tmp_path / "biosnap"
    shutil.copytree(FIXTURES / "good", folder)
    return folder


@pytest.mark.parametrize(
    "name",
    ["bio-decagon-combo.csv", "bio-decagon-ppi.csv", "bio-decagon-targets.csv", "bio-decagon-mono.csv"],
)
def test_header_only_file_is_an_error_naming_it(tmp_path, name):
    folder = _copy_good(tmp_path)
    path = folder / name
    path.write_text(path.read_text().splitlines()[0] + "\n\n")
    with pytest.raises(ValueError, match=rf"{name}: only a header, no data rows"):
        load_biosnap(folder, min_pairs=3)


def test_non_utf8_bytes_name_file_and_line(tmp_path):
    folder = _copy_good(tmp_path)
    path = folder / "bio-decagon-ppi.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2] + b"\xe9"  # Latin-1 e-acute on line 3
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ValueError, match=r"bio-decagon-ppi\.csv:3: byte 0xe9 .* is not UTF-8"):
        load_biosnap(folder, min_pairs=3)


def test_ragged_row_names_file_and_line(tmp_path):
    folder = _copy_good(tmp_path)
    path = folder / "bio-decagon-mono.csv"
    path.write_text(path.read_text() + "CID000002173,C0000001,name,extra\n")
    line = len(path.read_text().splitlines())
    with pytest.raises(ValueError, match=rf"bio-decagon-mono\.csv:{line}: expected 3 fields .* got 4"):
        load_biosnap(folder, min_pairs=3)


def test_nul_byte_names_file_and_line(tmp_path):
    folder = _copy_good(tmp_path)
    path = folder / "bio-decagon-targets.csv"
    lines = path.read_bytes().split(b"\n")
    lines[1] = lines[1] + b"\x00"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ValueError, match=r"bio-decagon-targets\.csv:2: .*NUL"):
        load_biosnap(folder, min_pairs=3)


@pytest.mark.parametrize("fake", ["gzip", "bad-gzip"])
def test_compressed_file_under_the_csv_name_is_refused(tmp_path, fake):
    folder = _copy_good(tmp_path)
    path = folder / "bio-decagon-combo.csv"
    payload = gzip.compress(path.read_bytes())
    if fake == "bad-gzip":  # a truncated download: gzip magic, garbage after it
        payload = payload[:10] + b"not really gzip"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=r"bio-decagon-combo\.csv:1: this is a gzip-compressed file"):
        load_biosnap(folder, min_pairs=3)


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    folder = _copy_good(tmp_path)
    path = folder / "bio-decagon-combo.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_biosnap(folder, min_pairs=3).num_side_effects == 2


def test_make_planted_refuses_impossible_sizes():
    # 10 drugs have 45 pairs: asking for 60 per side effect used to loop forever.
    with pytest.raises(ValueError, match=r"pairs_per_side_effect.*\[1, 45\]"):
        make_planted(num_drugs=10, num_proteins=20, num_modules=2, pairs_per_side_effect=60)
    with pytest.raises(ValueError, match="target_noise"):
        make_planted(target_noise=1.5)
    with pytest.raises(ValueError, match="ppi_degree"):
        make_planted(ppi_degree=-1.0)


def test_planted_classes_share_targets_and_families_share_pairs():
    """Issue #25's assumptions: classmates share core targets and modules; a mechanism's side effects
    draw from one pool of interacting pairs, so pairs recur across a family."""
    kw = dict(
        num_drugs=120,
        num_proteins=150,
        num_modules=5,
        num_side_effects=12,
        num_popularity_side_effects=2,
        pairs_per_side_effect=10,
        num_drug_classes=10,
        class_core_targets=2,
        num_mechanisms=2,
        pair_pool_factor=2.0,
        seed=1,
    )
    data = make_planted(**kw)
    cls = data["drug"].drug_class
    assert int(cls.min()) >= 0 and int(cls.max()) < 10
    dt = data[TARGET_EDGE].edge_index
    for c in range(10):
        members = (cls == c).nonzero().squeeze(1).tolist()
        if len(members) < 2:
            continue
        assert len({data["drug"].modules[i] for i in members}) == 1  # one class, one set of modules
        shared = set.intersection(*({int(p) for p in dt[1][dt[0] == i]} for i in members))
        assert len(shared) >= 2  # the class's core targets
    mechanisms = {m for m in data.side_effect_modules if m is not None}
    assert len(mechanisms) == 2
    ei, rel = data[DDI].edge_index, data[DDI].edge_type
    for mechanism in mechanisms:
        family = [r for r, m in enumerate(data.side_effect_modules) if m == mechanism]
        pairs = {(int(a), int(b)) for a, b, t in zip(ei[0], ei[1], rel, strict=True) if int(t) in family}
        triples = int(sum(int((rel == r).sum()) for r in family))
        assert len(pairs) < triples  # pairs recur across the family's side effects
    without = make_planted(
        **{**kw, "num_drug_classes": None, "num_mechanisms": None, "pair_pool_factor": None}
    )
    assert bool((without["drug"].drug_class == -1).all())
    with pytest.raises(ValueError, match="num_mechanisms"):
        make_planted(**{**kw, "num_mechanisms": 11})  # 5 modules have 10 pairs
    with pytest.raises(ValueError, match="pair_pool_factor"):
        make_planted(**{**kw, "pair_pool_factor": 0.5})
