"""Writes of the assessment: schemes (schemes.py), scores and appraisal (scoring.py), compute/publish (workflow.py)."""
