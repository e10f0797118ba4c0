"""Platforms: one package per channel kind, behind the contract in `publishers.base`."""
