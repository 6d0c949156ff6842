"""Analysis of stored results: the paper's claims and their verdicts, statistics, figures.

Imports dse.core only: it takes records, never studies or SQL sessions.
"""
