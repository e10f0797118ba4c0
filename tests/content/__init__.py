"""Tests of bot.content: page extraction and enrichment."""
