"""Monitoring: human-rights indicators, privacy-safe statistics and data exchange.

Like the engine, this package knows nothing of Django. It works on de-identified *monitoring
records* (records.py): one row per case and one row per measure, coded values only, no names,
no references, no free text. The web application extracts them from its database; imports
(HTCDS, CTDC) produce them from files; the generator makes synthetic ones for tests and
benchmarks. Indicators, disclosure control and exports take them in and give cited tables out.
"""
