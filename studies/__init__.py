"""Studies: run the model or the maths and return typed data (no printing, no files)."""
