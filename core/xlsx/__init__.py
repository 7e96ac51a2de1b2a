"""Excel import and export: one mechanism for every sheet of docs/formats (see README)."""
