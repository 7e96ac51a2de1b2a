"""django-filter FilterSets of supervision, one module per capability."""
