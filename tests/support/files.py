"""What a folder holds: to prove that nothing changed, and that no temporary file was left behind."""

from __future__ import annotations

from pathlib import Path


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Return every file below ``folder`` (relative path to content), to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporary_files(folder: Path) -> list[Path]:
    """Return the atomic writers' leftover temporary files below ``folder``."""
    return sorted(p for p in folder.rglob(".*.tmp"))
