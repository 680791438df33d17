"""Facts of the iWmo 3.2 standard: the message catalogue and the codelists. Imports nothing of ours."""
