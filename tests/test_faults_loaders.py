"""Hostile data files (issue #27): every line-ending convention parses identically; empty,
header-only, BOM-only and all-invalid inputs are errors naming the file; line numbers are the file's
own (blank lines counted); a last line cut inside a quote is an error."""

import shutil
from pathlib import Path

import pytest
import torch

from lecturekit.data.errors import DataFormatError, line_of, read_table
from lecturekit.data.interactions import load_interactions_csv
from lecturekit.data.movielens import load_movielens_100k
from lecturekit.data.polypharmacy import load_biosnap
from lecturekit.generation.gcpn import data as gcpn_data

FIXTURES = Path(__file__).parent / "fixtures"
ENDINGS = {"LF": b"\n", "CRLF": b"\r\n", "CR": b"\r"}


def _with_endings(source: Path, target: Path, ending: bytes) -> Path:
    """``source`` rewritten with ``ending`` after every line (the fixture files use LF)."""
    target.write_bytes(source.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", ending))
    return target


def _copy_folder(source: Path, target: Path, ending: bytes) -> Path:
    target.mkdir()
    for path in source.iterdir():
        _with_endings(path, target / path.name, ending)
    return target


# --------------------------------------------------------------------------- line endings


@pytest.mark.parametrize("ending", ["CRLF", "CR"])
def test_interaction_csv_parses_the_same_with_any_line_ending(tmp_path, ending):
    source = FIXTURES / "interactions" / "good.csv"
    args = {"user_col": "uid", "item_col": "iid", "timestamp_col": "ts", "rating_col": "stars"}
    plain = load_interactions_csv(source, **args)
    other = load_interactions_csv(_with_endings(source, tmp_path / "x.csv", ENDINGS[ending]), **args)
    assert other.frame.equals(plain.frame) and list(other.user_ids) == list(plain.user_ids)


@pytest.mark.parametrize("ending", ["CRLF", "CR"])
def test_movielens_parses_the_same_with_any_line_ending(tmp_path, ending):
    source = FIXTURES / "movielens" / "grouplens"
    plain = load_movielens_100k(source)
    other = load_movielens_100k(_copy_folder(source, tmp_path / "ml", ENDINGS[ending]))
    assert other.ratings.equals(plain.ratings) and other.items.equals(plain.items)


@pytest.mark.parametrize("ending", ["CRLF", "CR"])
def test_biosnap_parses_the_same_with_any_line_ending(tmp_path, ending):
    plain = load_biosnap(FIXTURES / "biosnap" / "good", min_pairs=3)
    other = load_biosnap(
        _copy_folder(FIXTURES / "biosnap" / "good", tmp_path / "b", ENDINGS[ending]), min_pairs=3
    )
    assert other.side_effect_names == plain.side_effect_names and other.skipped == plain.skipped
    for key in plain.edge_types:
        assert torch.equal(other[key].edge_index, plain[key].edge_index)


@pytest.mark.parametrize("ending", ["LF", "CRLF", "CR"])
def test_smiles_files_keep_every_molecule_with_any_line_ending(tmp_path, ending):
    path = tmp_path / "starts.smi"
    path.write_bytes(ENDINGS[ending].join([b"CCO", b"c1ccccc1 benzene", b"CC(=O)O", b""]))
    molecules = gcpn_data.load_smiles_file(path)
    assert molecules.smiles == ["CCO", "c1ccccc1", "CC(=O)O"] and not molecules.skipped
    zinc = gcpn_data.load_zinc250k(
        _with_endings(FIXTURES / "gcpn" / "zinc250k_sample.csv", tmp_path / "z.csv", ENDINGS[ending])
    )
    assert zinc.smiles == gcpn_data.load_zinc250k(FIXTURES / "gcpn" / "zinc250k_sample.csv").smiles


def test_a_bad_byte_is_reported_on_its_own_line_whatever_the_line_ends(tmp_path):
    assert line_of(b"a\rb\r\nc\nd", 7) == 4
    path = tmp_path / "x.csv"
    path.write_bytes(b"user,item\r1,2\r3,\xff\r")
    with pytest.raises(DataFormatError, match=r"x\.csv, line 3: byte b'\\xff'"):
        load_interactions_csv(path)


# --------------------------------------------------------------------------- empty and useless inputs


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),  # a byte-order mark and nothing else
        (b"\n\n\r\n", "the file is empty"),
        (b"user,item\n", "no data rows"),
        (b"\xef\xbb\xbfuser,item\r\n\r\n", "no data rows"),
    ],
)
def test_empty_bom_only_and_header_only_interaction_files_are_errors_naming_the_file(
    tmp_path, content, message
):
    path = tmp_path / "inter.csv"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=rf"inter\.csv.*{message}"):
        load_interactions_csv(path)


def test_line_numbers_count_blank_lines_and_a_cut_quote_is_an_error(tmp_path):
    path = tmp_path / "inter.csv"
    path.write_text("user,item\n\n1,2\n\n\n3,x\n")
    with pytest.raises(DataFormatError, match=r"inter\.csv, line 6: column 'item'"):
        load_interactions_csv(path)
    path.write_text('user,item,note\n1,2,"fine"\n\n3,4,"cut off\n')
    with pytest.raises(DataFormatError, match=r"inter\.csv, line 4: .*never closed"):
        load_interactions_csv(path)
    path.write_bytes(b'user,item,note\r1,2,"a\rb"\r3,x,c\r')  # a line break inside a quoted field, CR only
    assert read_table(path).lines.tolist() == [2, 4]  # the quoted record spans lines 2-3
    with pytest.raises(DataFormatError, match=r"inter\.csv, line 4: column 'item'"):
        load_interactions_csv(path)


def _biosnap_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "biosnap"
    shutil.copytree(FIXTURES / "biosnap" / "good", folder)
    return folder


def test_biosnap_lines_are_the_files_own_after_blank_lines(tmp_path):
    folder = _biosnap_copy(tmp_path)
    combo = folder / "bio-decagon-combo.csv"
    lines = combo.read_text().splitlines()
    combo.write_text(
        "\n".join([lines[0], "", lines[1], "", "", "CID000002173,CID000003345,,name", *lines[2:]]) + "\n"
    )
    with pytest.raises(
        ValueError, match=r"bio-decagon-combo\.csv:6: empty value in column 'Polypharmacy Side Effect'"
    ):
        load_biosnap(folder, min_pairs=1)
    combo.write_text("\n".join([lines[0], "", "", *lines[1:3], "CID1,CID2"]) + "\n")
    with pytest.raises(ValueError, match=r"bio-decagon-combo\.csv:6: expected 4 fields"):
        load_biosnap(folder, min_pairs=1)


def test_biosnap_refuses_a_last_line_cut_inside_a_quote_and_a_bom_only_file(tmp_path):
    folder = _biosnap_copy(tmp_path)
    mono = folder / "bio-decagon-mono.csv"
    mono.write_text(mono.read_text() + 'CID000002173,C0002871,"anaemia, unspec')
    line = len(mono.read_text().splitlines())
    with pytest.raises(ValueError, match=rf"bio-decagon-mono\.csv:{line}: .*never closed"):
        load_biosnap(folder, min_pairs=1)
    mono.write_bytes(b"\xef\xbb\xbf")
    with pytest.raises(ValueError, match=r"bio-decagon-mono\.csv:1: empty file"):
        load_biosnap(folder, min_pairs=1)
    mono.write_bytes(b"STITCH,Individual Side Effect,Side Effect Name\r\r\n")
    with pytest.raises(ValueError, match=r"bio-decagon-mono\.csv: only a header"):
        load_biosnap(folder, min_pairs=1)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "no usable molecule: no SMILES at all"),
        ("bom.csv", b"\xef\xbb\xbf", "no usable molecule: no SMILES at all"),
        ("header.csv", b"smiles,logP\r\n", "no usable molecule: no SMILES at all"),
        ("invalid.csv", b"smiles\nC1CC\n[Xe]\n", "no usable molecule: .*skipped 2"),
        ("invalid.smi", b"C1CC\n\n[Xe]\n", "no usable molecule: .*skipped 2"),
        ("cut.csv", b'smiles,logP\n"CCO",1\n"CC(=O', "line 3: .*truncated"),
    ],
)
def test_useless_zinc_files_are_errors_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises((ValueError, DataFormatError), match=rf"{name}.*{message}"):
        gcpn_data.load_zinc250k(path)


def test_smiles_list_of_only_invalid_molecules_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "starts.smi"
    path.write_text("C1CC\n# comment\n\n[Xe]\n")
    with pytest.raises(
        ValueError, match=r"starts\.smi: no usable molecule: .*first skipped at item 1 \(invalid\), 4"
    ):
        gcpn_data.load_smiles_file(path)


@pytest.mark.parametrize("max_atoms", [0, -1, 2.5, True, "9"])
def test_max_atoms_must_be_a_positive_int(max_atoms, tmp_path):
    with pytest.raises(ValueError, match="argument 'max_atoms' must be a positive int"):
        gcpn_data.filter_smiles(["CCO"], max_atoms=max_atoms)
    path = tmp_path / "starts.smi"
    path.write_text("CCO\n")
    with pytest.raises(ValueError, match="max_atoms"):
        gcpn_data.load_smiles_file(path, max_atoms=max_atoms)
    with pytest.raises(ValueError, match="argument 'limit'"):
        gcpn_data.filter_smiles(["CCO"], limit=0)
