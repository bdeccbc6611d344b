"""Tests of the outputs stage (``ordinance.outputs``)."""
