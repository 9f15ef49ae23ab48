"""Request and reply Structs of each service's NATS API (``hubbub.svc.<service>.<verb>``).

They live in ``shared`` because both sides need them and a service never imports another.
"""
