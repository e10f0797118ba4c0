"""The command line (`newsbot`), the demo and the reports: what prints for humans."""

from bot.cli.main import main

__all__ = ["main"]
