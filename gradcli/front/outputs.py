"""Files a call writes (pictures, plots): all or nothing, never over its input.

- An output path that is the program being read, by any route (the same path,
  a symbolic or hard link to it, or the file on standard input), is refused
  before any work; so are two outputs to one file.
- Each file is written whole to a temporary file beside its target, named
  ``.NAME.gradcli-XXXXXXXX.tmp`` so a user can tell what left it, and is
  renamed into place only when the whole call has succeeded (``commit``);
  otherwise it is removed (``discard``), on every exit Python sees.
- An existing file keeps its permission bits (and, written by root, its owner);
  a symbolic link is written through: its target gets the new content and the
  link stays a link, except a link another user made in a shared sticky folder
  (as the kernel's fs.protected_symlinks refuses). Only regular files are
  written: a pipe or a device at the path is refused.
"""

from __future__ import annotations

import os
import stat

from ..errors import GradcliError


class OutputFileError(GradcliError):
    """An output file that cannot be written (exit 1: the input was fine)."""

    exit_code = 1


class _Staged:
    """A file written to its temporary name, waiting for the call to succeed."""

    # a plain class: a NamedTuple costs about a millisecond to build at every start-up
    __slots__ = ("option", "path", "target", "tmp")

    def __init__(self, option: str, path: str, target: str, tmp: str) -> None:
        self.option = option
        self.path = path  # as the user gave it
        self.target = target  # the file that gets the content (a symlink's target)
        self.tmp = tmp


def file_identity(fd: int) -> tuple[int, int] | None:
    """(device, inode) of the regular file open on ``fd``, else None (a pipe, a terminal, closed)."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


class Outputs:
    """The files one call will write, staged until the call has succeeded."""

    def __init__(self, program: tuple[int, int] | None = None) -> None:
        #: (device, inode) of the program's file, or of standard input's file
        self.program = program
        self._paths: dict[tuple[int, int] | str, str] = {}
        self._staged: list[_Staged] = []

    def claim(self, option: str, path: str) -> None:
        """Refuse ``path`` (exit 2) when it is the program's file or another output's, when it is not a
        regular file, or when writing it would follow another user's link in a shared folder; call
        before any work."""
        where = f"{option} {path}"
        if not os.path.isdir(os.path.dirname(path) or "."):  # as written: 'missing/../g.svg' is no path
            raise GradcliError(f"cannot write {path}: No such file or directory")
        if os.path.isdir(path):
            raise GradcliError(f"{where}: is a folder; give a file name")
        target = self._target(option, path)  # not another user's link, not the program, a regular file
        exists = os.path.lexists(target)
        if (exists and not os.access(target, os.W_OK)) or not os.access(os.path.dirname(target), os.W_OK):
            raise GradcliError(f"cannot write {path}: Permission denied")
        identity: tuple[int, int] | str = target
        if exists:
            st = os.stat(target)
            identity = (st.st_dev, st.st_ino)
        if identity in self._paths:
            raise GradcliError(f"{where} and {self._paths[identity]} would write the same file")
        self._paths[identity] = where

    def stage(self, option: str, path: str, data: bytes) -> None:
        """Write ``data`` to a temporary file beside the target of ``path``, to be committed later."""
        target = self._target(option, path)
        folder, name = os.path.split(target)
        import tempfile

        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.gradcli-", suffix=".tmp")
        except OSError as e:
            raise OutputFileError(f"cannot write {path}: {e.strerror}") from None
        self._staged.append(_Staged(option, path, target, tmp))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()  # before the mode: a write after chmod would clear a setuid bit
                _copy_mode(f.fileno(), target)
        except OSError as e:
            raise OutputFileError(f"cannot write {path}: {e.strerror}") from None

    def _target(self, option: str, path: str) -> str:
        """The file ``path`` writes now (a link's target), checked again: the links may have changed
        since ``claim`` (another process can swap a link for one to the program)."""
        _check_links(f"{option} {path}", path)
        target = os.path.realpath(path)
        try:
            st = os.stat(target)
        except OSError:
            return target
        if (st.st_dev, st.st_ino) == self.program:
            raise GradcliError(f"{option} {path} would overwrite the program being read")
        if not stat.S_ISREG(st.st_mode):
            raise GradcliError(f"{option} {path}: not a regular file (a pipe or a device); give a file name")
        return target

    def commit(self) -> None:
        """Move every staged file into place (the call has succeeded)."""
        while self._staged:
            staged = self._staged[0]
            if self._target(staged.option, staged.path) != staged.target:
                raise GradcliError(f"{staged.option} {staged.path}: the path changed while gradcli ran;"
                                   " nothing was written")
            try:
                os.replace(staged.tmp, staged.target)
            except OSError as e:
                raise OutputFileError(f"cannot write {staged.path}: {e.strerror}") from None
            self._staged.pop(0)

    def discard(self) -> None:
        """Remove every staged file that was not committed (the call failed or was stopped)."""
        while self._staged:
            staged = self._staged.pop()
            try:
                os.unlink(staged.tmp)
            except OSError:
                pass  # already gone


#: links followed one after another at most (as the kernel's ELOOP limit)
MAX_LINKS = 40


def _check_links(where: str, path: str) -> None:
    """Refuse to follow a symbolic link that another user made in a shared sticky folder (such as
    /tmp), as the kernel's fs.protected_symlinks does for open(): gradcli writes by renaming, which
    that protection does not cover. A link of one's own, or of the folder's owner, is followed."""
    for _ in range(MAX_LINKS):
        try:
            link = os.lstat(path)
        except OSError:
            return  # nothing there (yet): no link to follow
        if not stat.S_ISLNK(link.st_mode):
            return
        folder = os.path.dirname(path) or "."
        shared = os.stat(folder)
        sticky_and_open = shared.st_mode & stat.S_ISVTX and shared.st_mode & stat.S_IWOTH
        if sticky_and_open and link.st_uid not in (os.geteuid(), shared.st_uid):
            raise GradcliError(f"{where}: a symbolic link another user made in a shared folder; not followed")
        path = os.path.join(folder, os.readlink(path))
    raise GradcliError(f"{where}: too many levels of symbolic links")


def _copy_mode(fd: int, target: str) -> None:
    """Give the new file ``target``'s mode and owner when it exists, else what the umask allows."""
    try:
        old = os.stat(target)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a new picture is as readable as any file
        return
    os.fchmod(fd, stat.S_IMODE(old.st_mode))
    if hasattr(os, "fchown") and os.geteuid() == 0 and (old.st_uid, old.st_gid) != (0, 0):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)  # root writing over a user's file leaves it theirs
        except OSError:
            pass
