"""SQL for the gateway's own tables (apps, tokens, authorization codes), one module per concern."""
