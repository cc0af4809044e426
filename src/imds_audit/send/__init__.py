"""Delivering findings to other systems (the one place besides ``collect`` that calls AWS)."""
