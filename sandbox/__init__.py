"""Local stand-ins for the Telegram Bot API and the Facebook Graph API, faithful to the
documented behaviour (docs/architecture.md "Platforms"), served over real HTTP for
tests, the demo and editors trying templates."""

from sandbox.facebook import FacebookSandbox
from sandbox.faults import Fault, FaultPlan
from sandbox.server import Sandbox, run_standalone, start_sandbox
from sandbox.telegram import TelegramSandbox

__all__ = [
    "FacebookSandbox",
    "Fault",
    "FaultPlan",
    "Sandbox",
    "TelegramSandbox",
    "run_standalone",
    "start_sandbox",
]
