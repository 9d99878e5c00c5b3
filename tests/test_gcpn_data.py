"""GCPN data loaders (notebook 06): MOSES, NCI and ZINC250k fixtures; invalid input is counted."""

from pathlib import Path

import pytest

from lecturekit.generation.gcpn import data

FIXTURES = Path(__file__).parent / "fixtures" / "gcpn"


def test_zinc250k_csv_fixture():
    ms = data.load_zinc250k(FIXTURES / "zinc250k_sample.csv")
    assert len(ms) == 4
    assert ms.skipped["invalid"] == 1
    assert ms.skipped["disconnected"] == 1  # [Na+].[Cl-]
    assert "CC[NH+](CC)C1CCC(NC(=O)c2ccc(F)cc2)CC1" in ms.smiles
    assert all("@" not in s for s in ms.smiles)  # stereochemistry removed


def test_zinc250k_smiles_list_fixture():
    ms = data.load_zinc250k(FIXTURES / "zinc250k_sample.smi")
    assert ms.smiles == ["CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1"]
    assert ms.skipped == {"invalid": 1, "atom_type": 1, "duplicate": 1}


def test_loader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_zinc250k(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,logP\nx,1.0\n")
    with pytest.raises(KeyError, match="no 'smiles' column"):
        data.load_zinc250k(bad)
    with pytest.raises(ValueError, match="split"):
        data.moses_path("valid")


def test_moses_and_nci():
    moses = data.load_moses("train", limit=50)
    assert len(moses) == 50 and not moses.skipped["invalid"]
    assert data.moses_path("test").name == "test.csv.gz"
    nci = data.load_nci(limit=100)
    assert len(nci) == 100
    assert all(
        data.check_buildable(data.Chem.MolFromSmiles(s), data.ZINC_VOCAB, 38) is None for s in nci.smiles
    )


def test_max_valence_follows_isoelectronic_element():
    assert data.max_valence(("C", 0)) == 4
    assert data.max_valence(("N", 1)) == 4
    assert data.max_valence(("O", -1)) == 1
    assert data.max_valence(("S", 0)) == 6


@pytest.mark.parametrize(
    ("smiles", "reason"),
    [
        ("C1CC", "invalid"),  # unclosed ring: RDKit rejects it
        ("CC(C)(C)(C)(C)C", "invalid"),  # five bonds on carbon
        ("c1cccc1", "not_kekulisable"),  # five aromatic carbons have no Kekulé form
        ("c1ccnc1", "not_kekulisable"),  # pyrrole written without its [nH]
        ("CC[N+](C)(C)C", "charged"),  # N+ is not in the MOSES vocabulary
        ("CC(=O)[O-]", "charged"),
        ("C[Si](C)C", "atom_type"),
        ("CCP", "atom_type"),
        ("[13CH3]CO", "not_rebuildable"),  # the environment cannot place isotopes: it would build CCO
        ("[CH2]C", "radical"),
        ("CCO.O", "disconnected"),
    ],
)
def test_bad_molecules_are_skipped_and_counted(smiles, reason):
    ms = data.filter_smiles(["CCO", smiles, "c1ccccc1"], data.MOSES_VOCAB)
    assert ms.smiles == ["CCO", "c1ccccc1"]  # never a silently different molecule
    assert ms.skipped == {reason: 1}
    assert "kept 2 molecules, skipped 1" in ms.summary() and data.SKIP_REASONS[reason] in ms.summary()


def test_loaded_files_report_their_skipped_counts(tmp_path):
    path = tmp_path / "mixed.smi"
    path.write_text("CCO\nc1cccc1\nC[N+](C)(C)C\n[13CH4]\nnot_a_smiles\nCCN\n")
    ms = data.load_zinc250k(path, vocab=data.MOSES_VOCAB)
    assert ms.smiles == ["CCO", "CCN"]
    assert ms.skipped == {"not_kekulisable": 1, "charged": 1, "not_rebuildable": 1, "invalid": 1}
    assert ms.summary().startswith("zinc250k: kept 2 molecules, skipped 4 (")
    # the charged forms of the ZINC vocabulary are kept with that vocabulary
    assert data.filter_smiles(["C[N+](C)(C)C"], data.ZINC_VOCAB).smiles == ["C[N+](C)(C)C"]


def test_user_smiles_list_one_per_line_names_the_lines_it_skipped(tmp_path):
    # e.g. JT-VAE's opt.test.logP-SA: "SMILES score" per line; bad lines are skipped, counted and named
    path = tmp_path / "starts.txt"
    path.write_text(
        "# the paper's ZINC starts\nCCO -1.5\n\nc1cccc1 -2.0\nCC[N+](C)(C)C\nC[Si](C)C\nnot_a_smiles\nCCN\nCCO\n"
    )
    ms = data.load_smiles_file(path, data.MOSES_VOCAB)
    assert ms.smiles == ["CCO", "CCN"]
    assert ms.skipped == {"not_kekulisable": 1, "charged": 1, "atom_type": 1, "invalid": 1, "duplicate": 1}
    assert ms.skipped_at == [
        (4, "not_kekulisable"),
        (5, "charged"),
        (6, "atom_type"),
        (7, "invalid"),
        (9, "duplicate"),
    ]
    assert "first skipped at item 4 (not_kekulisable), 5 (charged)" in ms.summary()
    with pytest.raises(FileNotFoundError, match="missing.smi"):
        data.load_smiles_file(tmp_path / "missing.smi")
    empty = tmp_path / "empty.smi"
    empty.write_text("# nothing\n\n")
    with pytest.raises(ValueError, match="empty.smi holds no SMILES"):
        data.load_smiles_file(empty)


def test_moses_reference_holds_canonical_smiles_of_the_whole_split():
    try:
        data.moses_path("train")
    except FileNotFoundError:
        pytest.skip("molsets not installed")
    reference = data.moses_reference("train")
    assert len(reference) > 1_500_000
    first = data.load_moses("train", limit=300)
    # novelty compares canonical SMILES with the file's strings: both must be the same form
    assert all(s in reference for s in first.smiles)


@pytest.mark.parametrize("loader", ["load_zinc250k", "load_smiles_file"])
def test_user_smiles_files_with_bad_bytes_or_fake_gzip_are_refused_naming_the_file(tmp_path, loader):
    from lecturekit.data.errors import DataFormatError

    load = getattr(data, loader)
    fake = tmp_path / "starts.smi.gz"
    fake.write_text("CCO\nc1ccccc1\n")
    with pytest.raises(DataFormatError, match=r"starts\.smi\.gz.*not gzip"):
        load(fake)
    latin = tmp_path / "starts.smi"
    latin.write_bytes(b"CCO\nCC\xe9O\n")
    with pytest.raises(DataFormatError, match=r"starts\.smi, line 2"):
        load(latin)
