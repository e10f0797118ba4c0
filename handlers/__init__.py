"""The editors' bot: aiogram 3 routers over the core's Editorial service (handlers.bot
wires them; the composition root calls open_editors_bot). Importing this package
imports no aiogram: handlers.settings is read by the root on every start."""
