"""MovieLens-100K and generic interaction loaders on fixture files in the real formats."""

import gzip
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from lecturekit.data.errors import DataFormatError, integer_column, read_table
from lecturekit.data.interactions import load_interactions_csv
from lecturekit.data.movielens import GENRES, load_movielens_100k, recbole_folder

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("layout", ["grouplens", "recbole"])
def test_movielens_fixture_formats_load_identically(layout):
    ml = load_movielens_100k(FIXTURES / "movielens" / layout)
    assert (ml.num_users, ml.num_items) == (3, 4)  # movie 40 is never rated but is in the catalogue
    assert ml.items["title"].tolist() == ["Toy Story", "GoldenEye", ml.items["title"][2], "Schrei aus Stein"]
    assert ml.items["year"][0] == 1995 and np.isnan(ml.items["year"][2])
    assert ml.items["genres"][0] == ["Animation", "Children's", "Comedy"]
    assert ml.genre_matrix.shape == (4, len(GENRES)) and ml.genre_matrix[3, GENRES.index("Drama")] == 1
    first = ml.ratings.iloc[0]
    assert (first["user"], first["item"], first["rating"], first["timestamp"]) == (0, 0, 4.0, 881250949)
    assert ml.ratings["item"].tolist() == [0, 1, 0, 2, 2]


def test_movielens_from_recbole_wheel_has_the_published_statistics():
    if not (recbole_folder() / "ml-100k.inter").exists():
        pytest.skip("recbole wheel not installed")
    ml = load_movielens_100k()
    assert (ml.num_users, ml.num_items, len(ml.ratings)) == (943, 1682, 100_000)
    assert ml.ratings["timestamp"].min() > 8e8


def test_movielens_missing_folder_and_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="folder not found"):
        load_movielens_100k(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="u.data"):
        load_movielens_100k(tmp_path)


def test_movielens_bad_rows_name_file_and_column(tmp_path):
    (tmp_path / "u.data").write_text("1\tx\t4\t881250949\n")
    (tmp_path / "u.item").write_text((FIXTURES / "movielens/grouplens/u.item").read_text(encoding="latin-1"))
    with pytest.raises(
        DataFormatError, match=r"u\.data, line 1: column 'item_id' must hold decimal integers"
    ):
        load_movielens_100k(tmp_path)
    (tmp_path / "u.data").write_text("1\t10\t4\n")
    with pytest.raises(DataFormatError, match=r"u\.data, line 1: expected 4 tab-separated fields"):
        load_movielens_100k(tmp_path)
    (tmp_path / "u.data").write_text("1\t99\t4\t881250949\n")
    with pytest.raises(DataFormatError, match=r"u\.data, line 1: rates movie 99, which the item file lacks"):
        load_movielens_100k(tmp_path)
    (tmp_path / "u.data").write_text("")
    with pytest.raises(DataFormatError, match="no data rows|empty"):
        load_movielens_100k(tmp_path)


def test_interactions_csv_reindexes_and_keeps_columns():
    data = load_interactions_csv(
        FIXTURES / "interactions/good.csv",
        user_col="uid",
        item_col="iid",
        timestamp_col="ts",
        rating_col="stars",
    )
    assert (data.num_users, data.num_items) == (2, 2)
    assert data.user_ids.tolist() == [7, 9] and data.item_ids.tolist() == [100, 200]
    assert data.frame["user"].tolist() == [0, 0, 1]
    assert data.frame["rating"].tolist() == [4.5, 3.0, 5.0]
    assert data.edge_index().tolist() == [[0, 0, 1], [0, 1, 0]]


def test_interactions_csv_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="interaction CSV"):
        load_interactions_csv(tmp_path / "missing.csv")
    with pytest.raises(DataFormatError, match=r"missing column\(s\) 'user'"):
        load_interactions_csv(FIXTURES / "interactions/good.csv", item_col="iid")
    bad = tmp_path / "bad.csv"
    bad.write_text("user,item\n1,2\n1.5,3\n")
    with pytest.raises(DataFormatError, match=r"bad\.csv, line 3: column 'user' must hold decimal integers"):
        load_interactions_csv(bad)
    bad.write_text("user,item,ts\n1,2,yesterday\n")
    with pytest.raises(DataFormatError, match="column 'ts'"):
        load_interactions_csv(bad, timestamp_col="ts")
    bad.write_text("user,item\n")
    with pytest.raises(DataFormatError, match="no data rows"):
        load_interactions_csv(bad)
    bad.write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_interactions_csv(bad)


# --- Bad input (issue #11, acceptance 4): every error names the file, the column and the 1-based line ---

GOOD_CSV = "user,item,rating,ts\n7,100,4.5,3\n7,200,3,1\n9,100,5,2\n"


def _copy_movielens(tmp_path, layout):
    folder = tmp_path / layout
    shutil.copytree(FIXTURES / "movielens" / layout, folder)
    return folder


def _replace_line(path, number, text, encoding="utf-8"):
    """Replace 1-based line ``number`` of ``path`` with ``text``."""
    lines = path.read_text(encoding=encoding).split("\n")
    lines[number - 1] = text
    path.write_text("\n".join(lines), encoding=encoding)


BAD_IDS = [
    "7.0",  # a float cell: pd.to_numeric would turn the column float and merge 62-bit ids
    "1e3",
    " 12",
    "12 ",
    "",
    "+5",
    "0x1f",
    "1234567890123456789012345",  # 25 digits: beyond int64
    "9223372036854775808",  # int64 max + 1: would wrap to a negative number
    "-9223372036854775809",
]


@pytest.mark.parametrize("cell", BAD_IDS)
def test_interaction_ids_must_be_decimal_int64(tmp_path, cell):
    path = tmp_path / "bad.csv"
    path.write_text(f"user,item\n1,2\n{cell},3\n")
    with pytest.raises(
        DataFormatError, match=rf"bad\.csv, line 3: column 'user' must hold .*found '{re.escape(cell)}'"
    ):
        load_interactions_csv(path)


@pytest.mark.parametrize("layout, file, line", [("grouplens", "u.data", 2), ("recbole", "ml-100k.inter", 3)])
@pytest.mark.parametrize("cell", ["7.0", "1e3", " 12", "99999999999999999999999"])
def test_movielens_ids_must_be_decimal_int64(tmp_path, layout, file, line, cell):
    folder = _copy_movielens(tmp_path, layout)
    _replace_line(folder / file, line, f"{cell}\t20\t3\t881250950")
    with pytest.raises(DataFormatError, match=rf"{re.escape(file)}, line {line}: column 'user_id'"):
        load_movielens_100k(folder)


def test_distinct_62_bit_ids_stay_distinct_and_exact(tmp_path):
    big = [2**62 + 1, 2**62 + 2, 2**63 - 1, -(2**63)]
    path = tmp_path / "big.csv"
    path.write_text("user,item\n" + "".join(f"{u},{i}\n" for i, u in enumerate(big)))
    data = load_interactions_csv(path)
    assert data.user_ids.tolist() == sorted(big) and data.num_users == 4


def test_item_catalogue_ids_are_parsed_strictly(tmp_path):
    folder = _copy_movielens(tmp_path, "recbole")
    _replace_line(folder / "ml-100k.item", 3, "20.0\tGoldenEye\t1995\tAction Adventure Thriller")
    with pytest.raises(DataFormatError, match=r"ml-100k\.item, line 3: column 'item_id'.*'20\.0'"):
        load_movielens_100k(folder)


@pytest.mark.parametrize("row, fields", [("7,100,4.5,3,extra", 5), ("7,100", 2)])
def test_ragged_csv_rows_name_the_line(tmp_path, row, fields):
    path = tmp_path / "ragged.csv"
    path.write_text(GOOD_CSV + row + "\n")
    with pytest.raises(
        DataFormatError, match=rf"ragged\.csv, line 5: expected 4 comma-separated fields .* found {fields}"
    ):
        load_interactions_csv(path)


@pytest.mark.parametrize(
    "layout, file, line, text",
    [
        ("grouplens", "u.data", 3, "2\t10\t5\t881250951\t7"),
        ("grouplens", "u.data", 4, "3\t30"),
        ("grouplens", "u.item", 2, "20|GoldenEye (1995)|01-Jan-1995"),
        ("recbole", "ml-100k.inter", 2, "1\t10\t4"),
        ("recbole", "ml-100k.item", 4, "30\tunkonwn\tunkonwn\tunknown\textra"),
    ],
)
def test_ragged_movielens_rows_name_the_line(tmp_path, layout, file, line, text):
    folder = _copy_movielens(tmp_path, layout)
    encoding = "latin-1" if file == "u.item" else "utf-8"
    _replace_line(folder / file, line, text, encoding)
    with pytest.raises(
        DataFormatError, match=rf"{re.escape(file)}, line {line}: expected \d+ .*-separated fields"
    ):
        load_movielens_100k(folder)


def test_line_numbers_count_the_header_and_blank_lines(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("user,item\n1,2\n\n3,4\n\nx,5\n")
    with pytest.raises(DataFormatError, match=r"gaps\.csv, line 6: column 'user'"):
        load_interactions_csv(path)
    path.write_text("user,item\r\n1,2\r\n\r\n3,4\r\n")  # Windows line ends count the same
    table = read_table(path)
    assert table.lines.tolist() == [2, 4] and table.at_row(1).endswith("gaps.csv, line 4")
    assert integer_column(table, "user").tolist() == [1, 3]


def test_bad_encoding_names_the_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"user,item,title\n1,2,ok\n3,4,Caf\xe9\n")
    with pytest.raises(DataFormatError, match=r"latin\.csv, line 3: byte b'\\xe9' is not valid utf-8"):
        read_table(path)
    path.write_bytes(b"user,item\n1,2\n\xff3,4\n")
    with pytest.raises(DataFormatError, match=r"latin\.csv, line 3: .*not valid utf-8"):
        load_interactions_csv(path)


def test_bad_encoding_in_recbole_files_names_the_line(tmp_path):
    folder = _copy_movielens(tmp_path, "recbole")
    data = (folder / "ml-100k.item").read_bytes().replace(b"GoldenEye", b"Golden\xffEye")
    (folder / "ml-100k.item").write_bytes(data)
    with pytest.raises(DataFormatError, match=r"ml-100k\.item, line 3: byte b'\\xff' is not valid utf-8"):
        load_movielens_100k(folder)


def test_a_byte_order_mark_is_not_part_of_the_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffuser,item\n1,2\n".encode())
    assert load_interactions_csv(path).num_users == 1


def test_gzip_files_load_and_fake_or_corrupt_gzip_is_refused(tmp_path):
    real = tmp_path / "real.csv.gz"
    real.write_bytes(gzip.compress(GOOD_CSV.encode()))
    data = load_interactions_csv(real, timestamp_col="ts", rating_col="rating")
    assert data.frame["rating"].tolist() == [4.5, 3.0, 5.0]
    fake = tmp_path / "fake.csv.gz"
    fake.write_text(GOOD_CSV)
    with pytest.raises(DataFormatError, match=r"fake\.csv\.gz: the file is named \.gz but is not gzip data"):
        load_interactions_csv(fake)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(GOOD_CSV.encode() * 50)[:-20])
    with pytest.raises(DataFormatError, match=r"cut\.csv\.gz: corrupt gzip data"):
        load_interactions_csv(cut)
    flipped = bytearray(gzip.compress(GOOD_CSV.encode() * 50))
    flipped[15] ^= 0xFF  # inside the deflate stream
    (tmp_path / "flip.csv.gz").write_bytes(bytes(flipped))
    with pytest.raises(DataFormatError, match=r"flip\.csv\.gz: corrupt gzip data"):
        load_interactions_csv(tmp_path / "flip.csv.gz")


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "", "four", "1e999", " 4"])
def test_ratings_must_be_finite_numbers(tmp_path, cell):
    path = tmp_path / "ratings.csv"
    path.write_text(f"user,item,rating\n1,2,4\n3,4,{cell}\n")
    with pytest.raises(
        DataFormatError, match=r"ratings\.csv, line 3: column 'rating' must hold finite numbers"
    ):
        load_interactions_csv(path, rating_col="rating")


def test_repeated_pairs_are_refused_or_counted(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("user,item,ts\n1,2,5\n1,3,6\n1,2,7\n")
    with pytest.raises(DataFormatError, match=r"dup\.csv, line 4: \(user, item\) = \(1, 2\) repeats line 2"):
        load_interactions_csv(path, timestamp_col="ts")
    data = load_interactions_csv(path, timestamp_col="ts", duplicates="keep-first")
    assert data.skipped == {"duplicate pairs": 1}
    assert data.frame["timestamp"].tolist() == [5, 6]
    assert (
        load_interactions_csv(FIXTURES / "interactions/good.csv", user_col="uid", item_col="iid").skipped
        == {}
    )
    with pytest.raises(ValueError, match="argument 'duplicates'"):
        load_interactions_csv(path, duplicates="drop")


@pytest.mark.parametrize(
    "layout, file, line, text, message",
    [
        ("grouplens", "u.data", 3, "1\t10\t5\t881250999", r"\(user_id, item_id\) = \(1, 10\) repeats line 1"),
        (
            "recbole",
            "ml-100k.inter",
            4,
            "1\t10\t5\t881250999",
            r"\(user_id, item_id\) = \(1, 10\) repeats line 2",
        ),
        ("grouplens", "u.data", 2, "1\t20\t6\t881250950", r"whole-star rating 1-5; found '6'"),
        ("recbole", "ml-100k.inter", 3, "1\t20\t3.5\t881250950", r"whole-star rating 1-5; found '3\.5'"),
        ("grouplens", "u.data", 2, "1\t20\tnan\t881250950", r"'rating' must hold finite numbers"),
        ("recbole", "ml-100k.inter", 3, "1\t20\t3\t881250950.0", r"'timestamp' must hold decimal integers"),
        ("recbole", "ml-100k.inter", 3, "1\t99\t3\t881250950", r"rates movie 99, which the item file lacks"),
        ("recbole", "ml-100k.item", 5, "10\tToy Story again\t1995\tComedy", r"movie id 10 is listed twice"),
        ("recbole", "ml-100k.item", 2, "10\tToy Story\t1995\tCartoon", r"unknown genre\(s\) \['Cartoon'\]"),
        (
            "grouplens",
            "u.item",
            1,
            "10|Toy Story (1995)|01-Jan-1995||http://example.invalid/|0|0|0|2|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0",
            r"genre flags must each be 0 or 1",
        ),
    ],
)
def test_movielens_bad_rows_name_the_line(tmp_path, layout, file, line, text, message):
    folder = _copy_movielens(tmp_path, layout)
    encoding = "latin-1" if file == "u.item" else "utf-8"
    _replace_line(folder / file, line, text, encoding)
    with pytest.raises(DataFormatError, match=rf"{re.escape(file)}, line {line}: .*{message}"):
        load_movielens_100k(folder)


def test_movielens_header_only_and_repeated_header_columns(tmp_path):
    folder = _copy_movielens(tmp_path, "recbole")
    inter = folder / "ml-100k.inter"
    header = inter.read_text().split("\n")[0]
    inter.write_text(header + "\n")
    with pytest.raises(DataFormatError, match=r"ml-100k\.inter: no data rows"):
        load_movielens_100k(folder)
    inter.write_text("user_id:token\tuser_id:token\trating:float\ttimestamp:float\n1\t10\t4\t881250949\n")
    with pytest.raises(DataFormatError, match=r"ml-100k\.inter.*repeats column"):
        load_movielens_100k(folder)
    inter.write_text("\n\n")
    with pytest.raises(DataFormatError, match=r"ml-100k\.inter: the file is empty"):
        load_movielens_100k(folder)


def test_movielens_years_without_four_digits_are_missing(tmp_path):
    # RecBole's ml-100k.item writes "unkonwn" (movie 267) and "V" (movie 1412) as release years.
    folder = _copy_movielens(tmp_path, "recbole")
    _replace_line(folder / "ml-100k.item", 5, "40\tSchrei aus Stein\tV\tDrama")
    ml = load_movielens_100k(folder)
    assert np.isnan(ml.items["year"][2]) and np.isnan(ml.items["year"][3]) and ml.items["year"][0] == 1995
