"""A pytest plugin for testing sites that accept valet keys, and robots."""
