"""The in-message rules of iWmo 3.2, declared once each in the registry."""

from gateway.validation.rules.registry import REGISTRY, Fault, Rule, RuleContext, rule, run_rules

__all__ = ["REGISTRY", "Fault", "Rule", "RuleContext", "rule", "run_rules"]
