"""Where data sets are cached, and atomic, verified downloads into that cache.

A file counts as present only if its checksum matches. Downloads go to a temporary file in the
destination folder and are moved into place with ``os.replace`` only after they verify, so an
interrupted or corrupted download never looks cached.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path
from typing import BinaryIO, Callable, Optional, Sequence

from ..utils import atomic_write

ENV_VAR = "TINYGRAD_EDU_DATA"


def cache_dir(name: str) -> Path:
    """The folder that caches data set ``name``: ``$TINYGRAD_EDU_DATA/<name>`` if that variable
    is set, else ``$XDG_CACHE_HOME/tinygrad_edu/<name>`` (``~/.cache/tinygrad_edu/<name>``)."""
    base = os.environ.get(ENV_VAR)
    if base:
        return Path(base).expanduser() / name
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "tinygrad_edu" / name


def fetch_url(url: str, out: BinaryIO, timeout: float = 30.0) -> None:
    """Copy the body of ``url`` into the open binary file ``out`` (with a progress bar)."""
    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad_edu"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = response.headers.get("Content-Length")
        try:
            from tqdm import tqdm
        except ImportError:  # the bar is a nicety; the download works without it
            shutil.copyfileobj(response, out)
            return
        name = url.rsplit("/", 1)[-1]
        with tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                  desc=name, leave=False) as bar:
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                bar.update(len(chunk))


def download_verified(urls: Sequence[str], dest: Path,
                      verify: Callable[[Path], None]) -> Optional[str]:
    """Download ``dest`` from the first of ``urls`` that works and passes ``verify`` (which
    raises on a bad file). Returns None on success, else a description of every failure."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        try:
            with atomic_write(dest, suffix=".part") as out:
                fetch_url(url, out)
                out.flush()
                verify(Path(out.name))   # a file that fails never takes dest's place
            return None
        except Exception as exc:  # network errors, HTTP errors, checksum or format errors
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
    return "; ".join(failures)
