"""Webhooks: API clients subscribe to events; an outbox row in the change's transaction, a
signed delivery by the worker, retried for a day, every attempt on record."""

from backend.webhooks import labels  # noqa: F401  (importing the domain registers its labels)
