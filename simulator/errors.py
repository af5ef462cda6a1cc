"""callsim's named errors: the one kind the user can fix, and the rest.

`UserError` (and its subclasses: a bad scenario file, a bad request of a study, a results
folder that cannot be read) is a problem in what the user gave; its `str()` is one line that
names the place and says what to do. The command line prints it and exits with code 2. Any
other exception is a bug in callsim: the command line prints one line asking for a report and
exits with code 1 (the traceback with CALLSIM_DEBUG=1).
"""
from __future__ import annotations

import re


class UserError(Exception):
    """A problem the user can fix; `str()` is one line meant for the user."""


# characters that would break a message over several lines (or hide part of it)
_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"}
_BREAKS.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): " ", 0: "\\0"})


def one_line(text: str) -> str:
    """`text` as one printable line: line breaks and other control characters escaped."""
    text = str(text).translate(_BREAKS)
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in text)


_LONGEST_WORD = 200  # a path is shorter; an option value of 5,000 digits is not shown whole


def cut_long_words(text: str) -> str:
    """`text` with every run of more than _LONGEST_WORD non-blank characters cut to its start
    and its length: an error line echoes what was typed, and a 5,000-digit value made it 5 kB."""
    return re.sub(r"\S{%d,}" % (_LONGEST_WORD + 1),
                  lambda m: f"{m.group()[:40]}... ({len(m.group()):,} characters)", text)
