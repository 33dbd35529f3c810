"""Projections: deterministic folds of the log into what readers ask for.

They import the domain and the codec's values, never a store: what they
need from storage reaches them through one callback.
"""
