"""Tests of the analysis stage (``ordinance.analysis``)."""
