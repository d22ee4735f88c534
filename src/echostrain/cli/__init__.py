"""Command-line interface (``echostrain``)."""
