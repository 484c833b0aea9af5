"""Shared UI layer: page setup/guard, translations, formatting, status presentation, figures.

Render helpers only: no SQL, no business rules (status and scores come from the marts)."""
