"""MovieLens-100K (GroupLens): 943 users, 1,682 movies, 100,000 timestamped ratings.

MovieLens' terms forbid redistribution, so the course never ships the files. By default they
are read from the copy inside the PyPI package ``recbole`` (installed ``--no-deps``; we only
read its data files and never import it): ``recbole/dataset_example/ml-100k/``. A folder in
GroupLens' own ``ml-100k`` format (``u.data`` + ``u.item``) works too. Used by notebooks 01-03.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lecturekit.data.errors import (
    DataFormatError,
    Table,
    float_column,
    integer_column,
    read_table,
    require_file,
    require_rows,
    require_unique_pairs,
)
from lecturekit.data.interactions import Interactions, from_frame

GENRES: tuple[str, ...] = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
RATINGS = (1.0, 2.0, 3.0, 4.0, 5.0)  # MovieLens-100K's whole-star scale


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


def _year(texts: pd.Series) -> pd.Series:
    """Release years from text: a four-digit year, else NaN (RecBole writes 'unkonwn' for movie 267
    and 'V' for movie 1412, whose GroupLens title ends in '(1995) (V)')."""
    return pd.to_numeric(texts.where(texts.str.fullmatch(r"[0-9]{4}")), errors="coerce")


def _ratings(table: Table, columns: tuple[str, str, str, str]) -> tuple[pd.DataFrame, Table]:
    """The ``user``, ``item``, ``rating``, ``timestamp`` frame of a ratings table, checked row by row."""
    user, item, rating, timestamp = columns
    table.require_columns(columns)
    require_rows(table)
    ratings = pd.DataFrame(
        {
            "user": integer_column(table, user),
            "item": integer_column(table, item),
            "rating": float_column(table, rating),
            "timestamp": integer_column(table, timestamp),
        }
    )
    # MovieLens-100K ratings are whole stars 1-5; anything else means a different or damaged file.
    bad = ~ratings["rating"].isin(RATINGS).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            f"{table.at_row(row)}: column {rating!r} must hold a whole-star rating 1-5; "
            f"found {table.frame[rating].iloc[row]!r}"
        )
    require_unique_pairs(table, ratings["user"], ratings["item"], f"({user}, {item})")
    return ratings, table


def _read_recbole(folder: Path) -> tuple[pd.DataFrame, Table, pd.DataFrame]:
    inter_path = require_file(folder / "ml-100k.inter", "MovieLens-100K (RecBole format)")
    item_path = require_file(folder / "ml-100k.item", "MovieLens-100K (RecBole format)")
    # RecBole headers are "name:type" ("user_id:token"); the name is what we look up.
    inter = read_table(inter_path, sep="\t", quoting=csv.QUOTE_NONE)
    inter = inter.rename(lambda c: c.split(":")[0])
    ratings, inter = _ratings(inter, ("user_id", "item_id", "rating", "timestamp"))
    raw_items = read_table(item_path, sep="\t", quoting=csv.QUOTE_NONE).rename(lambda c: c.split(":")[0])
    raw_items.require_columns(["item_id", "movie_title", "release_year", "class"])
    require_rows(raw_items)
    items = pd.DataFrame(
        {
            "movie_id": integer_column(raw_items, "item_id"),
            "title": raw_items.frame["movie_title"],
            "year": _year(raw_items.frame["release_year"]),
            "genres": [g.split() if g else ["unknown"] for g in raw_items.frame["class"]],
        }
    )
    return ratings, inter, _checked_items(items, raw_items)


def _read_grouplens(folder: Path) -> tuple[pd.DataFrame, Table, pd.DataFrame]:
    data_path = require_file(folder / "u.data", "MovieLens-100K (GroupLens format)")
    item_path = require_file(folder / "u.item", "MovieLens-100K (GroupLens format)")
    columns = ("user_id", "item_id", "rating", "timestamp")
    raw = read_table(data_path, sep="\t", names=columns, quoting=csv.QUOTE_NONE)
    ratings, raw = _ratings(raw, columns)
    item_columns = ["item_id", "title", "release_date", "video_release_date", "url", *GENRES]
    # GroupLens ships u.item in latin-1 (accented titles such as "Café au lait").
    raw_items = read_table(item_path, sep="|", names=item_columns, encoding="latin-1", quoting=csv.QUOTE_NONE)
    require_rows(raw_items)
    flags = np.stack([integer_column(raw_items, g).to_numpy() for g in GENRES], axis=1)
    bad = ~np.isin(flags, (0, 1)).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(f"{raw_items.at_row(row)}: the 19 genre flags must each be 0 or 1")
    # GroupLens titles carry the year, "Toy Story (1995)"; RecBole splits it off. Match RecBole.
    titles = raw_items.frame["title"]
    title_year = titles.str.extract(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")
    items = pd.DataFrame(
        {
            "movie_id": integer_column(raw_items, "item_id"),
            "title": title_year["title"].fillna(titles),
            "year": _year(title_year["year"].fillna("")),
            "genres": [[g for g, f in zip(GENRES, row, strict=True) if f] or ["unknown"] for row in flags],
        }
    )
    return ratings, raw, _checked_items(items, raw_items)


def _checked_items(items: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Refuse a movie id listed twice or a genre outside :data:`GENRES`, naming the line."""
    repeated = items["movie_id"].duplicated().to_numpy()
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        raise DataFormatError(f"{table.at_row(row)}: movie id {items['movie_id'].iloc[row]} is listed twice")
    for row, genres in enumerate(items["genres"]):
        unknown = sorted(set(genres) - set(GENRES))
        if unknown:
            raise DataFormatError(
                f"{table.at_row(row)}: unknown genre(s) {unknown}; expected names from {GENRES}"
            )
    return items


def load_movielens_100k(path: str | Path | None = None) -> MovieLens:
    """Load MovieLens-100K.

    Args:
        path: ``None`` for the copy inside the ``recbole`` wheel, or a folder holding either the
            GroupLens files (``u.data``, ``u.item``) or RecBole's (``ml-100k.inter``, ``ml-100k.item``).

    Every movie of the catalogue gets an id, rated or not. Every departure from the format is a
    :class:`DataFormatError` naming the file and, for a faulty row, its 1-based line: ragged rows,
    bytes invalid in the encoding (UTF-8 for RecBole, latin-1 for GroupLens' ``u.item``), ids that
    are not decimal int64 integers, ratings other than 1-5 stars, a (user, movie) pair rated twice,
    ratings of movies missing from the item file, a movie listed twice, genre flags other than 0/1
    and genres outside :data:`GENRES`. ``year`` is NaN where the file gives no four-digit year.
    Used by notebooks 01, 02 and 03.
    """
    folder = recbole_folder() if path is None else Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"MovieLens-100K: folder not found: {folder}")
    if (folder / "u.data").exists():
        ratings, ratings_table, items = _read_grouplens(folder)
    elif (folder / "ml-100k.inter").exists():
        ratings, ratings_table, items = _read_recbole(folder)
    else:
        raise FileNotFoundError(
            f"MovieLens-100K: {folder} holds neither GroupLens files (u.data, u.item) "
            "nor RecBole files (ml-100k.inter, ml-100k.item)"
        )
    unknown = ~np.isin(ratings["item"].to_numpy(), items["movie_id"].to_numpy())
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise DataFormatError(
            f"{ratings_table.at_row(row)}: rates movie {int(ratings['item'].iloc[row])}, which the item file "
            f"lacks ({int(unknown.sum())} ratings of unknown movies in all)"
        )
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
