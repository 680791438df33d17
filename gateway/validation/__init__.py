"""Judging a message: safe parsing, XSD validation and the rules registry. Knows no database or HTTP."""
