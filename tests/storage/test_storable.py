"""`storable`: the text every store and Discord can hold, whatever a parser read."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from storage.models import storable

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, categories=["Cs", "Ll", "Lo", "Cc", "So"]),
        st.sampled_from("\x00a é"),
    )
)


@given(TEXT)
def test_nul_removed_and_lone_surrogates_replaced_and_nothing_else(text: str) -> None:
    expected = re.sub("[\ud800-\udfff]", "\ufffd", text.replace("\x00", ""))
    assert storable(text) == expected


def test_cases() -> None:
    assert storable("plain") == "plain"
    assert storable("a\x00b") == "ab"
    assert storable("é\x00\ud800x") == "é\ufffdx"
    assert storable("\udfff") == "\ufffd"
