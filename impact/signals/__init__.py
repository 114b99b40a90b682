"""Liveness signals: automatic checks of a project's website and repository beside what its team reported.

safety.py refuses addresses on the server's own network; website.py and repository.py check one address each;
run.py checks many at once, politely, and stores the signals (impact.store.signals); contradictions.py says where
the signals and the reported status disagree.
"""
