"""The message id is spelled by hand for speed: it must equal the standard library's."""

from hypothesis import given
from hypothesis import strategies as st

from winlang.links import MESSAGE_ID_LENGTH, _b32_message_id, message_id


@given(st.text())
def test_the_message_id_is_the_standard_base32_of_the_digest(key: str) -> None:
    assert message_id(key) == _b32_message_id(key)
    assert len(message_id(key)) == MESSAGE_ID_LENGTH
