import sys
from pathlib import Path

# test helper modules (steady_state.py, ...) live beside the tests
sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parent.parent
