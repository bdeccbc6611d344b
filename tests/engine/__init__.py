"""Tests of the engine stage (``ordinance.engine``)."""
