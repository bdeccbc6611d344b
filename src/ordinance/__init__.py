"""ordinance: sanctuary and surveillance law as code.

Load a law set once, then decide data-sharing requests against it::

    >>> import ordinance
    >>> laws = ordinance.load()
    >>> decision = laws.decide({
    ...     "holder": {"kind": "sheriff", "state": "CA", "county": "Los Angeles"},
    ...     "requester": {"kind": "federal_immigration"},
    ...     "date": "2024-05-01", "data": ["home_address"], "data_public": False,
    ...     "purpose": "immigration_enforcement", "legal_process": "hold_request"})
    >>> decision.outcome
    'prohibited'
    >>> [rule.citation for rule in decision.items[0].rules if rule.effect == "prohibit"]
    ['Cal. Gov. Code § 7284.6(a)(1)', 'Cal. Gov. Code § 7284.6(a)(1)(D)']
"""

from .engine.decision import Decision
from .engine.lawset import OrdinanceSet, load
from .engine.vocabulary import Request
from .language.errors import InputError, LawError, OrdinanceError, RequestError
from .version import __version__

__all__ = [
    "Decision",
    "InputError",
    "LawError",
    "OrdinanceError",
    "OrdinanceSet",
    "Request",
    "RequestError",
    "__version__",
    "load",
]
