"""Error messages as the user reads them: one line naming the input at fault."""

from __future__ import annotations


def assert_one_line(error: BaseException, *fragments: str) -> None:
    """Assert that an error message is one line and contains every fragment (the input it names)."""
    message = str(error)
    assert message.strip(), f"{type(error).__name__} has an empty message"
    assert "\n" not in message, f"message is not one line: {message!r}"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
