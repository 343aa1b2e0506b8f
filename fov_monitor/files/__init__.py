"""Files on disk: atomic writes, image files, JSON documents and secret files, read with clear errors."""
