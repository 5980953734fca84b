"""Basics every layer may use: typed errors, project paths, fiscal-year names, number formatting, file writing."""
