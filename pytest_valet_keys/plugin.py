"""Hooks and fixtures of the valet-keys pytest plugin."""
