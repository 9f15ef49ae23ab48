"""Where Hubbub touches a library's private parts: one module per library, each with the version
range it was checked on (pyproject.toml) and a canary test that fails if the library changes
underneath."""
