"""A local knooppunt: GGk-style SOAP for gemeenten, VECOZO-style REST push/pull for aanbieders, one store."""
