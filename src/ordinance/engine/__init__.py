"""The engine: requests in, explained decisions out.

Takes the checked law set (``ordinance.checker``) and a request; gives decisions. Reads and
validates request documents against the laws' vocabulary (``inputs``, ``vocabulary``),
compiles rule conditions to three-valued tests (``conditions``), decides each data item
(``evaluator``), finds exactly the missing facts and the changes that would alter the
outcome (``relevance``), and explains it all with citations (``explainer``, ``decision``).
``lawset`` ties loading and deciding together: it is what ``ordinance.load`` returns.
Imports the language and checker stages only (and ``ordinance.version``).
"""
