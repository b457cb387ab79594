"""A pytest plugin with fixtures for sites that accept valet keys and robots."""
