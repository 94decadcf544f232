"""Shared machinery: settings, database, security, errors, scope, audit, clock."""
