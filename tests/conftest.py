"""Shared fixtures: the fake Discord server (see tests/fakediscord/README.md).

Property tests are derandomized: every run tries the same examples, so the suite passes or fails
the same way each time (a new failing example found while exploring locally becomes a fixed test
with `@example`). `HYPOTHESIS_PROFILE=explore` searches with fresh randomness.
"""

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.fakediscord.fixtures import discord_client, fake_discord, pytest_configure
from tests.pgcluster import Cluster, running_cluster

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

__all__ = ["discord_client", "fake_discord", "pytest_configure"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the whole run (started on first use, removed at the end)."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of a new, empty PostgreSQL database of this test's own."""
    return pg_cluster.new_database()
