"""Security: access control and abuse limits, tried from outside through the gateway."""
