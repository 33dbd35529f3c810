"""Testing what you build on the ledger the way the project tests its own (DESIGN §7).

- ``ledger.testing.strategies``: hypothesis strategies for figures, every
  event type and whole valid event sequences (appendable to a fresh ledger
  without a validation error), to property-test your own projections;
- ``ledger.testing.contract``: the store contract suite as a pytest class,
  ``StoreContract``, that a new store's tests subclass;
- ``ledger.testing.builders``: small, numbered, valid events.

They need the ``testing`` extra (``pip install 'claims-ledger[testing]'``:
pytest and hypothesis), which is imported only when these modules are.
docs/testing.md has examples.
"""
