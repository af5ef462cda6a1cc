"""Presentation: text tables, CSV and YAML documents, plots and HTML pages, rendered in memory."""
