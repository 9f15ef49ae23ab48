"""Direct conversations as each participant sees them: the read model notify keeps from posts'
status events (use_cases/keep_conversations.py) and serves (handlers.py)."""
