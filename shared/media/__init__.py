"""Media files: where they are kept and how browsers get them (storage.py says the contract)."""

from shared.media.storage import (
    MediaStorage,
    StorageUnavailable,
    StoredFileMissing,
    open_storage,
    signed_window_end,
    valid_key,
)

__all__ = ["MediaStorage", "StorageUnavailable", "StoredFileMissing", "open_storage",
           "signed_window_end", "valid_key"]
