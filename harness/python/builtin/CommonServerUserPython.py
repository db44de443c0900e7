"""Placeholder for the customer-specific code an XSOAR tenant may define; empty in the harness."""
