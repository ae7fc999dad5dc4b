"""Author faces: deterministic per source and author, distinct between authors, chosen by the admin."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.avatars import NEUTRAL, avatar_url
from bot.replay.plan import build_plan
from bot.settings import Settings
from storage.models import Article, Comment, Mode


def comment(author: str, *, deleted: bool = False, index: int = 0) -> Comment:
    return Comment(index=index, key=str(index), author=author, depth=0, text="hi", deleted=deleted)


def test_same_author_same_face_across_processes_with_different_hash_seeds() -> None:
    """Python's own hash() changes per process; the face must not."""
    code = (
        "from bot.avatars import avatar_url; from storage.models import Comment;"
        "print(avatar_url('reddit', Comment(index=0, key='a', author='ana_lima', depth=0,"
        " text='x')))"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert seen == {avatar_url("reddit", comment("ana_lima"))}


def test_faces_differ_by_author_and_by_source_kind() -> None:
    urls = {avatar_url("reddit", comment(f"user{i}")) for i in range(500)}
    assert len(urls) == 500
    assert avatar_url("reddit", comment("ana")) != avatar_url("hackernews", comment("ana"))
    url = avatar_url("disqus", comment("Mara Quill"))
    assert url is not None and len(url) < 120  # short, and a PNG identicon (never SVG/GIF)
    assert url.startswith("https://gravatar.com/avatar/") and "d=identicon" in url


def test_deleted_and_anonymous_authors_share_one_neutral_face() -> None:
    faces = {
        avatar_url("disqus", comment("Anonymous")),
        avatar_url("reddit", comment("[deleted]")),
        avatar_url("hackernews", comment("ana", deleted=True)),
    }
    assert faces == {NEUTRAL}


def test_admin_template_and_none() -> None:
    template = "https://faces.example/{hash}.png"
    url = avatar_url("reddit", comment("ana"), template)
    assert url is not None and url.startswith("https://faces.example/") and url.endswith(".png")
    assert len(url) == len("https://faces.example/.png") + 32
    assert avatar_url("reddit", comment("ana"), "none") is None
    article = Article(key="k", format="reddit", title="T", comments=[comment("ana")])
    assert build_plan(article, Mode.threads, avatars="none").steps[0].avatar_url is None


@pytest.mark.parametrize(
    "value", ["http://faces.example/{hash}.png", "https://faces.example/x.png", "gravatar"]
)
def test_settings_refuse_a_template_discord_could_not_use(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADREPLAY_AVATARS", value)
    with pytest.raises(ValidationError, match="THREADREPLAY_AVATARS"):
        Settings(_env_file=None)


def test_settings_accept_the_three_styles(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in (
        ("Generated", "generated"),
        ("none", "none"),
        ("https://faces.example/{hash}.png", "https://faces.example/{hash}.png"),
    ):
        monkeypatch.setenv("THREADREPLAY_AVATARS", value)
        assert Settings(_env_file=None).avatars == expected
