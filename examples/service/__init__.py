"""A small non-training application declared in YAML: see ``service.yaml``."""
