"""Built-in figures: registry entries and the functions that build them."""
