"""Measures as data, goalpost scoring, marts and the query layer the app reads."""
