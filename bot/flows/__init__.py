"""Rules as plain functions: what comes next, validation, scoring, schedules, alerts.

They take plain values and a storage session (never a Telegram object), so tests call them directly.
"""
