"""The service side: the ways machines and intake systems reach the engine.

Takes a loaded law set; gives the HTTP service (``server``), the JSON Schema and OpenAPI of
requests (``schema``), batch deciding of JSON lines (``batchrun``), the interview that
completes a request one question at a time (``interview``), the cases kept beside each law
and their runner (``testing``), and the decision log every decision can be written to
(``decisionlog``). Imports the outputs, engine, checker and language stages.
"""
