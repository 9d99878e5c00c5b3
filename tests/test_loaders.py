"""MovieLens-100K and generic interaction loaders on fixture files in the real formats."""

from pathlib import Path

import numpy as np
import pytest

from lecturekit.data.errors import DataFormatError
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
    with pytest.raises(DataFormatError, match=r"u\.data: column 'item_id' must hold integer ids; row 1"):
        load_movielens_100k(tmp_path)
    (tmp_path / "u.data").write_text("1\t10\t4\n")
    with pytest.raises(DataFormatError, match="expected 4 tab-separated columns"):
        load_movielens_100k(tmp_path)
    (tmp_path / "u.data").write_text("1\t99\t4\t881250949\n")
    with pytest.raises(ValueError, match="item 99"):
        load_movielens_100k(tmp_path)
    (tmp_path / "u.data").write_text("")
    with pytest.raises(DataFormatError, match="no data rows|empty"):
        load_movielens_100k(tmp_path)


def test_interactions_csv_reindexes_and_keeps_columns():
    data = load_interactions_csv(
        FIXTURES / "interactions/good.csv", user_col="uid", item_col="iid", timestamp_col="ts", rating_col="stars"
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
    with pytest.raises(DataFormatError, match=r"bad\.csv: column 'user' must hold integer ids; row 2"):
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
