"""Demo material: our own example conversation (berichten/) and generated messages for benchmarks and load."""
