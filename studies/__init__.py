"""Studies: run the model or the maths over scenarios and return data (no printing, no files)."""
