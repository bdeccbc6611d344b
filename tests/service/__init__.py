"""Tests of the service stage (``ordinance.service``)."""
