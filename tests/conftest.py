"""Shared fixtures: the fake Discord server (see tests/fakediscord/README.md).

Property tests are derandomized: every run tries the same examples, so the suite passes or fails
the same way each time (a new failing example found while exploring locally becomes a fixed test
with `@example`). `HYPOTHESIS_PROFILE=explore` searches with fresh randomness.
"""

import os

from hypothesis import settings

from tests.fakediscord.fixtures import discord_client, fake_discord, pytest_configure

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

__all__ = ["discord_client", "fake_discord", "pytest_configure"]
