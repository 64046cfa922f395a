"""The paper's experiments as commands: ``python -m recbole_atjt.experiments <name>``."""
