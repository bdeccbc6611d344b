"""The checker and the checked model: syntax trees in, a law set that can be trusted out.

Takes the language stage's syntax trees; gives the checked
:class:`~ordinance.checker.model.OrdinanceModel` (``model``) built by the ordered checker
passes (``passes``), with the places laws and requests name resolved (``places``), the
warnings that do not stop loading (``lint``) and the on-disk cache of checked law sets
(``cache``). Imports only the language stage. Importing this package imports none of its
modules: a warm start reads the model from the cache without the passes.
"""
