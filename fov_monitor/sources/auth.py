"""Camera credentials in settings: the user name and where the password is kept, never the password."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fov_monitor.errors import InvalidSettingsError, SourceAuthError
from fov_monitor.files.secret_files import read_secret_file


class AuthKind(enum.StrEnum):
    """The HTTP authentication scheme a camera is signed in to with (``"kind"`` in its settings)."""

    BASIC = "basic"
    DIGEST = "digest"


_FIELDS = ("kind", "username", "password_env", "password_file")


@dataclass(frozen=True)
class SourceAuth:
    """How to sign in to a camera.

    The password is never held here: only the environment variable or the file it is read from at
    each grab, so settings can be shown, diffed and logged.

    Attributes
    ----------
    kind : AuthKind
        The HTTP authentication scheme (``"basic"`` or ``"digest"`` are taken too). RTSP ignores it
        (FFmpeg follows what the camera asks for).
    username : str
        The user to sign in as.
    password_env : str or None
        The name of an environment variable holding the password.
    password_file : Path or None
        A file holding the password (one line), readable by its owner only (``chmod 600``).
    """

    kind: AuthKind
    username: str
    password_env: str | None = None
    password_file: Path | None = None

    def __post_init__(self) -> None:
        if self.kind not in tuple(AuthKind):
            raise InvalidSettingsError(
                f"auth field 'kind' must be one of {', '.join(AuthKind)}, got {self.kind!r}"
            )
        object.__setattr__(self, "kind", AuthKind(self.kind))
        if not self.username:
            raise InvalidSettingsError("auth field 'username' is empty; give the camera's user name")
        if (self.password_env is None) == (self.password_file is None):
            raise InvalidSettingsError(
                "auth needs exactly one of 'password_env' and 'password_file'; say where the password is"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, object], *, where: str) -> SourceAuth:
        """Build from a settings mapping, strictly.

        Parameters
        ----------
        data : mapping
            ``{"kind": "digest", "username": "viewer", "password_env": "CAM07_PASSWORD"}`` or with
            ``"password_file": "secrets/cam-07"``.
        where : str
            Where the mapping comes from (``"reference_frames/cam-07/camera.json: auth"``), named in
            every error.

        Raises
        ------
        InvalidSettingsError
            On an unknown field, a missing or mistyped one, or not exactly one password location.
        """
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise InvalidSettingsError(
                f"{where}: unknown auth field {unknown[0]!r}; allowed are {', '.join(_FIELDS)}"
            )
        for name in _FIELDS:
            value = data.get(name)
            if (value is not None or name in ("kind", "username")) and (
                not isinstance(value, str) or not value
            ):
                raise InvalidSettingsError(
                    f"{where}: auth field {name!r} must be a non-empty string, got {value!r}"
                )
        password_file = data.get("password_file")
        try:
            return cls(
                kind=cast(AuthKind, data["kind"]),  # a str: checked and made an AuthKind on construction
                username=cast(str, data["username"]),
                password_env=cast("str | None", data.get("password_env")),
                password_file=Path(password_file) if isinstance(password_file, str) else None,
            )
        except InvalidSettingsError as exc:
            raise InvalidSettingsError(f"{where}: {exc}") from None

    def to_dict(self) -> dict[str, object]:
        """Return the settings mapping :meth:`from_dict` reads (no password in it)."""
        data: dict[str, object] = {"kind": str(self.kind), "username": self.username}
        if self.password_env is not None:
            data["password_env"] = self.password_env
        if self.password_file is not None:
            data["password_file"] = str(self.password_file)
        return data

    def password(self, source: str) -> str:
        """Read the password from its environment variable or file.

        Parameters
        ----------
        source : str
            The redacted source, named in errors.

        Raises
        ------
        SourceAuthError
            When the variable is unset, or the file is missing, empty or readable by group or others.
        """
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if not value:
                raise SourceAuthError(
                    f"{source}: environment variable {self.password_env} with the password is not set; "
                    "export it"
                )
            return value
        return read_secret_file(
            cast(Path, self.password_file), f"{source}: password file {self.password_file}", SourceAuthError
        )
