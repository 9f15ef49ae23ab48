"""SCIM 2.0 (RFC 7643/7644) as the gateway speaks it: errors, discovery documents, filters,
PATCH, and the JSON shapes of users and groups. The routes are in routes/scim.py; graph owns
the records (shared/contracts/scim.py)."""
