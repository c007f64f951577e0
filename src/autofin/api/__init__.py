"""The HTTP edge: app factory, dependencies, problem+json mapping, router assembly. No business rules here."""
