"""The paper's experiments as commands: ``python -m experiments <name>``."""
