"""Tests of the checker stage (``ordinance.checker``)."""
