"""Doctest collection over ``src`` (``make test`` runs ``--doctest-modules src``).

Where the compiled hot path is in use (:mod:`tamna.native`), its modules are loaded from their extension modules,
and pytest refuses to collect a ``.py`` file whose module came from elsewhere; they hold no doctests (a test in
``tests/signals/test_native.py`` keeps it so), so they are left out of the collection then.
"""

from tamna import native

collect_ignore = [str(native.source_of(module)) for module in native.HOT_PATH] if native.active() else []
