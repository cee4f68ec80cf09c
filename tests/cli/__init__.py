"""Tests of the installed ``bucket`` command, run as a subprocess."""
