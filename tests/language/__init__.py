"""Tests of the language stage (``ordinance.language``)."""
