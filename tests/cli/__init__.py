"""Tests of the cli stage (``ordinance.cli``)."""
