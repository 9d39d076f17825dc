"""Benchmarks: measured speed, scale and memory of the bot, side by side with a bare PTB bot.

Run by hand with ``python -m bench`` (``--quick`` for a short run); see BENCHMARKS.md. Never run in CI.
"""
