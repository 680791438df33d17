"""The REST API: a thin edge that translates HTTP to calls on the store and validation layers."""
