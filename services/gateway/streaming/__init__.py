"""Live delivery to clients: sessions (what a connection watches and how each event is
rendered for its reader) shared by the WebSocket and server-sent-events transports."""
