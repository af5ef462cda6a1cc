import os
import sys
from pathlib import Path

# test helper modules (steady_state.py, ...) live beside the tests
sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session, exitstatus):
    """'No tests ran' (pytest exit code 5) must never pass silently: make it a failure."""
    if exitstatus == 5:
        session.exitstatus = 1


# In CI, property tests draw the same examples on every run: a red build is reproducible.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True)
settings.register_profile("fuzz", max_examples=2000)  # by hand: pytest --hypothesis-profile fuzz
if os.environ.get("CI"):
    settings.load_profile("ci")
