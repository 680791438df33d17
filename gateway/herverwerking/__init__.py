"""Replay and reprocessing by filter (issue 14, section 2): select messages (`selectie`), see per message what
would happen (`plan`, the dry run), then run it as one audited, pausable batch worked by the worker in chunks
(`uitvoering`, tables `herverwerking` and `herverwerking_item`)."""
