"""Shared fixtures: the fake Discord server (see tests/fakediscord/README.md)."""

from tests.fakediscord.fixtures import discord_client, fake_discord, pytest_configure

__all__ = ["discord_client", "fake_discord", "pytest_configure"]
