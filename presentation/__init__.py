"""Presentation: render studies as text tables, documents, CSV, plots and HTML (no simulation)."""
