"""Presenting views: charts, the HTML report and number formatting."""
