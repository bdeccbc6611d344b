"""Analysis: what a whole law set does, found by exhaustive search over the requests it tells apart.

Takes a checked law set and its engine; gives findings about the law rather than one
decision: the finite request space and its search (``space``), rules that conflict, can
never stand or never change a decision (``conflicts``), requests no law covers (``gaps``),
what changes between two versions of a law set (``lawdiff``, ``diffreport``), who may
receive what (``matrix``), and classes of requests put into words (``describe``,
``wording``). Imports the engine and the stages below it.
"""
