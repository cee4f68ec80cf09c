"""Shared libraries: ``bucket`` (object storage), ``core`` (runtime registry), peers."""
