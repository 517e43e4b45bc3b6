class LoadError(Exception):
    """A file that cannot be loaded; str(error) is one line for the user."""
