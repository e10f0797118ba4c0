"""`newsbot doctor` and the daily token-and-rights watch: checks of a configuration
against the real services (model.py: what a check is; runner.py: what is checked;
report.py: how it is shown; watch.py: the service's daily run and the editors' alerts).

Only the model is imported here: bot.platforms re-exports it for the platforms' own
checks, and the rest of the package imports bot.platforms.
"""

from bot.doctor.model import Check, Concern, Level

__all__ = ["Check", "Concern", "Level"]
