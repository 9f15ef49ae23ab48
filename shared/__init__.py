"""Code that more than one Hubbub service needs: settings, events, ids, connections, policy."""
