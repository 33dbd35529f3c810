"""Reading events from the files people write: JSON Lines (``authoring``) and spreadsheets.

``importing`` holds what both share (problems with their line, column and
value; stable content-derived ids; the checking pass against the ledger's
state, the append pass, and the private copy of the file both passes read);
``authoring`` the JSON Lines reader and the entry points, which take either
format by the file's suffix; ``spreadsheet`` the CSV/TSV reader, and
``longcells`` its reading of a row with a cell over the csv module's limit.
"""
