"""One render at a time in a DEST: an advisory lock on `DEST/.gitops-gen/lock`.

The lock is `flock`ed, so the operating system releases it when the render ends, however it
ends (a killed render never leaves DEST locked). A render that writes holds it exclusively; a
dry run or a check holds it shared when the file is there, so it never reads a half-written
render.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitops_gen.errors import UserError
from gitops_gen.render.state import LOCK_FILE

WAIT_SECONDS = 10.0
_POLL = 0.1
LENT_ENV = "GITOPS_GEN_LOCK_LENT"
"""Set, while a render commits, to the DEST whose lock it holds: the commit's Git hooks (the
`gitops-gen-render-check` hook) read DEST without waiting for that render to end."""


@contextmanager
def render_lock(dest: Path, *, shared: bool = False,
                wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the lock of DEST, waiting up to `wait` seconds for another render to finish."""
    path = Path(dest) / LOCK_FILE
    if shared and (not path.is_file() or os.environ.get(LENT_ENV) == os.path.realpath(dest)):
        yield
        return
    try:
        if not shared:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY if shared else os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise UserError(f"cannot lock {path}: {error.strerror or error}",
                        hint="render into a folder you can write to") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UserError(f"another gitops-gen render is running in {dest} "
                                    f"(it holds {path})",
                                    hint="wait for it to finish, then render again") from None
                time.sleep(_POLL)
        yield
    finally:
        os.close(fd)


@contextmanager
def lend_lock(dest: Path) -> Iterator[None]:
    """Let the processes started meanwhile (Git hooks) read DEST under this render's lock."""
    previous = os.environ.get(LENT_ENV)
    os.environ[LENT_ENV] = os.path.realpath(dest)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(LENT_ENV, None)
        else:
            os.environ[LENT_ENV] = previous
