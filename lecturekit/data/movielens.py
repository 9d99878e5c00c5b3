"""MovieLens-100K (GroupLens): 943 users, 1,682 movies, 100,000 timestamped ratings.

MovieLens' terms forbid redistribution, so the course never ships the files. By default they
are read from the copy inside the PyPI package ``recbole`` (installed ``--no-deps``; we only
read its data files and never import it): ``recbole/dataset_example/ml-100k/``. A folder in
GroupLens' own ``ml-100k`` format (``u.data`` + ``u.item``) works too. Used by notebooks 01-03.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lecturekit.data.errors import (
    DataFormatError,
    float_column,
    integer_column,
    read_table,
    require_columns,
    require_file,
    require_rows,
)
from lecturekit.data.interactions import Interactions, from_frame

GENRES: tuple[str, ...] = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)  # fmt: skip


@dataclass
class MovieLens:
    """MovieLens-100K with 0-based contiguous ids.

    Attributes:
        ratings: DataFrame with int ``user``, ``item``, ``timestamp`` and float ``rating``.
        items: DataFrame indexed by 0-based item: ``movie_id`` (original), ``title``, ``year``
            (float, NaN when unknown) and ``genres`` (list of names from :data:`GENRES`).
        genre_matrix: ``[num_items, 19]`` 0/1 genre indicators in :data:`GENRES` order.
        source: the folder the files came from.
    """

    ratings: pd.DataFrame
    items: pd.DataFrame
    genre_matrix: np.ndarray
    interactions: Interactions
    source: Path

    @property
    def num_users(self) -> int:
        return self.interactions.num_users

    @property
    def num_items(self) -> int:
        return self.interactions.num_items


def recbole_folder() -> Path:
    """The ``ml-100k`` folder inside the installed ``recbole`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "MovieLens-100K: package 'recbole' is not installed; run `make setup` (it installs "
            "recbole==1.2.1 with --no-deps) or pass path= a GroupLens ml-100k folder"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "dataset_example" / "ml-100k"


def _read_recbole(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    inter_path = require_file(folder / "ml-100k.inter", "MovieLens-100K (RecBole format)")
    item_path = require_file(folder / "ml-100k.item", "MovieLens-100K (RecBole format)")
    inter = read_table(inter_path, sep="\t")
    inter.columns = [c.split(":")[0] for c in inter.columns]
    require_columns(inter, ["user_id", "item_id", "rating", "timestamp"], inter_path)
    require_rows(inter, inter_path)
    ratings = pd.DataFrame(
        {
            "user": integer_column(inter, "user_id", inter_path),
            "item": integer_column(inter, "item_id", inter_path),
            "rating": float_column(inter, "rating", inter_path),
            "timestamp": integer_column(inter, "timestamp", inter_path),
        }
    )
    raw_items = read_table(item_path, sep="\t", quoting=3)
    raw_items.columns = [c.split(":")[0] for c in raw_items.columns]
    require_columns(raw_items, ["item_id", "movie_title", "release_year", "class"], item_path)
    require_rows(raw_items, item_path)
    items = pd.DataFrame(
        {
            "movie_id": integer_column(raw_items, "item_id", item_path),
            "title": raw_items["movie_title"],
            "year": pd.to_numeric(raw_items["release_year"], errors="coerce"),
            "genres": [g.split() if g else ["unknown"] for g in raw_items["class"]],
        }
    )
    return ratings, items


def _read_grouplens(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    data_path = require_file(folder / "u.data", "MovieLens-100K (GroupLens format)")
    item_path = require_file(folder / "u.item", "MovieLens-100K (GroupLens format)")
    columns = ["user_id", "item_id", "rating", "timestamp"]
    raw = read_table(data_path, sep="\t", header=None)
    if raw.shape[1] != len(columns):
        raise DataFormatError(f"{data_path}: expected 4 tab-separated columns {columns}, found {raw.shape[1]}")
    raw.columns = columns
    require_rows(raw, data_path)
    ratings = pd.DataFrame(
        {
            "user": integer_column(raw, "user_id", data_path),
            "item": integer_column(raw, "item_id", data_path),
            "rating": float_column(raw, "rating", data_path),
            "timestamp": integer_column(raw, "timestamp", data_path),
        }
    )
    item_columns = ["item_id", "title", "release_date", "video_release_date", "url", *GENRES]
    raw_items = read_table(item_path, sep="|", header=None, encoding="latin-1", quoting=3)
    if raw_items.shape[1] != len(item_columns):
        raise DataFormatError(
            f"{item_path}: expected {len(item_columns)} '|'-separated columns (id, title, dates, url, "
            f"19 genre flags), found {raw_items.shape[1]}"
        )
    raw_items.columns = item_columns
    require_rows(raw_items, item_path)
    flags = np.stack([integer_column(raw_items, g, item_path).to_numpy() for g in GENRES], axis=1)
    # GroupLens titles carry the year, "Toy Story (1995)"; RecBole splits it off. Match RecBole.
    title_year = raw_items["title"].str.extract(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")
    items = pd.DataFrame(
        {
            "movie_id": integer_column(raw_items, "item_id", item_path),
            "title": title_year["title"].fillna(raw_items["title"]),
            "year": pd.to_numeric(title_year["year"], errors="coerce"),
            "genres": [[g for g, f in zip(GENRES, row, strict=True) if f] or ["unknown"] for row in flags],
        }
    )
    return ratings, items


def load_movielens_100k(path: str | Path | None = None) -> MovieLens:
    """Load MovieLens-100K.

    Args:
        path: ``None`` for the copy inside the ``recbole`` wheel, or a folder holding either the
            GroupLens files (``u.data``, ``u.item``) or RecBole's (``ml-100k.inter``, ``ml-100k.item``).

    Every movie of the catalogue gets an id, rated or not; ratings of unknown movies, or genres
    outside :data:`GENRES`, are errors naming the file. Used by notebooks 01, 02 and 03.
    """
    folder = recbole_folder() if path is None else Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"MovieLens-100K: folder not found: {folder}")
    if (folder / "u.data").exists():
        ratings, items = _read_grouplens(folder)
    elif (folder / "ml-100k.inter").exists():
        ratings, items = _read_recbole(folder)
    else:
        raise FileNotFoundError(
            f"MovieLens-100K: {folder} holds neither GroupLens files (u.data, u.item) "
            "nor RecBole files (ml-100k.inter, ml-100k.item)"
        )
    if items["movie_id"].duplicated().any():
        dup = items["movie_id"][items["movie_id"].duplicated()].iloc[0]
        raise DataFormatError(f"{folder}: movie id {dup} is listed twice in the item file")
    unknown_genres = {g for genres in items["genres"] for g in genres} - set(GENRES)
    if unknown_genres:
        raise DataFormatError(f"{folder}: item file names unknown genre(s) {sorted(unknown_genres)}")

    items = items.sort_values("movie_id").reset_index(drop=True)
    interactions = from_frame(ratings, folder, item_ids=items["movie_id"].to_numpy())
    genre_matrix = np.zeros((len(items), len(GENRES)), dtype=np.float32)
    for row, genres in enumerate(items["genres"]):
        genre_matrix[row, [GENRES.index(g) for g in genres]] = 1.0
    return MovieLens(
        ratings=interactions.frame,
        items=items,
        genre_matrix=genre_matrix,
        interactions=interactions,
        source=folder,
    )
