"""Local stand-ins for the Telegram Bot API and the Facebook Graph API, faithful to the
documented behaviour (docs/architecture.md "Platforms"), with a publisher's site and a
WebSub hub (docs/architecture.md "Sandbox"), served over real HTTP for tests, the demo
and editors trying templates."""

from sandbox.facebook import FacebookSandbox
from sandbox.faults import Fault, FaultPlan
from sandbox.postpages import PostPages
from sandbox.server import Sandbox, run_standalone, start_sandbox
from sandbox.site import SiteSandbox
from sandbox.sitepages import SiteArticle
from sandbox.subscriber import WebSubSubscriber
from sandbox.telegram import TelegramSandbox
from sandbox.websub import WebSubHub

__all__ = [
    "FacebookSandbox",
    "Fault",
    "FaultPlan",
    "PostPages",
    "Sandbox",
    "SiteArticle",
    "SiteSandbox",
    "TelegramSandbox",
    "WebSubHub",
    "WebSubSubscriber",
    "run_standalone",
    "start_sandbox",
]
