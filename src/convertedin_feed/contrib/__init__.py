"""Ready-made adapters for shop frameworks: install one and its shop needs no mapping."""
