"""Receiving a message: judge it outside any transaction, then write it in a group.

The one door every message comes in through — the REST API, the transport's inbound endpoint and pulls, the
CLI and the demo. `oordeel` judges bytes (parse once, XSD, in-message rules, the retourbericht those findings
give) without a database; `vastlegging` writes judged messages — cross-message rules against the store, the
message, its keys, facts, findings, retourbericht and audit events — inside one transaction; `schrijver` is
the one writer per process that takes judged messages from a queue and commits them in groups, answering
each caller only when its group is durable.
"""
