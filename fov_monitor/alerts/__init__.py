"""Alerts: opened and closed from scan outcomes, reviewed by people, delivered through an outbox."""
