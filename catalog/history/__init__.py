"""History stage: the inventory's past, read from git."""
