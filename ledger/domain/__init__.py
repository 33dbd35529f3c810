"""The domain: pure values (events, figures, views) and the rules over them.

Nothing here does I/O, reads a clock or keeps state beyond its arguments;
it imports nothing of the project but ``ledger.errors``.

- ``figures``: ``Interval`` and ``Figure``;
- ``events``: the six event types;
- ``records``: ``Recorded``, an event at its position in the log;
- ``phrases``: words to figures (``parse_figure``);
- ``views``: what the projections return (``TopicView`` and the rest);
- ``consensus``: range, agreement and consensus over current figures.
"""
