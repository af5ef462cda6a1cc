"""Presentation: text tables, result documents and CSV, plots and HTML reports; renders what the model and the studies return."""
