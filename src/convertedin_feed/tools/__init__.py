"""What a shop developer runs: reading feeds as the platform does, and judging what arrives."""
