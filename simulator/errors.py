"""callsim's named errors: the one kind the user can fix, and the rest.

`UserError` (and its subclasses: a bad scenario file, a bad request of a study, a results
folder that cannot be read) is a problem in what the user gave; its `str()` is one line that
names the place and says what to do. The command line prints it and exits with code 2. Any
other exception is a bug in callsim: the command line prints one line asking for a report and
exits with code 1 (the traceback with CALLSIM_DEBUG=1).
"""
from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; `str()` is one line meant for the user."""
