"""Exports for pretraining: a cleaned text corpus and image + logical-text pairs."""
