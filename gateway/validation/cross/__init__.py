"""Rules that need earlier messages. The history is handed in; the checks stay pure."""

from gateway.validation.cross.history import History, feiten_uit_bericht
from gateway.validation.cross.registry import all_cross_rules, run_cross_rules

__all__ = ["History", "all_cross_rules", "feiten_uit_bericht", "run_cross_rules"]
