"""Fixtures of the storage tests: `target`, which runs a test once per store (ids `sqlite` and
`postgres`: a SQLite file, and a new database of the session's throwaway PostgreSQL cluster,
tests/pgcluster.py), and `seeds`, a private copy of the seed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.pgcluster import Cluster

SEED = Path(__file__).parents[2] / "seeds" / "000_e7a44f8a370d07ea.txt"


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the store lives: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "t.db")
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the seed, so a test can edit it."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder
