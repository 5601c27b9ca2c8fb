"""Progress bars for long transfers, drawn with tqdm as quilt3 draws them.

QUILT_MINIMIZE_STDOUT silences them when set to anything but "", "0" or
"false" (the CLI's rule; quilt3's "true" is one such value).
Without tqdm installed no bar is drawn; the work is the same.
"""

import os

try:
    from tqdm import tqdm as _tqdm
except ImportError:  # optional: the bars are a display, not a feature
    _tqdm = None


def minimized():
    """Whether QUILT_MINIMIZE_STDOUT asks for no progress output."""
    return os.environ.get("QUILT_MINIMIZE_STDOUT", "") not in ("", "0", "false")


class Bar:
    """A bar over `total_bytes` of `total_files` files, fed by the (files, bytes)
    reports of the C++ transfer code. Use as a context manager; the bar is
    completed when the work ends without an error."""

    def __init__(self, desc, total_bytes, total_files):
        self._files = total_files
        self._bar = None
        if _tqdm is not None and not minimized():
            self._bar = _tqdm(desc=desc, total=total_bytes, unit="B", unit_scale=True,
                              unit_divisor=1024, dynamic_ncols=True, leave=True)
            self._bar.set_postfix_str(f"0/{total_files} files", refresh=False)

    def __call__(self, files, nbytes):
        if self._bar is None:
            return
        if nbytes > self._bar.n:
            self._bar.update(nbytes - self._bar.n)
        self._bar.set_postfix_str(f"{files}/{self._files} files", refresh=False)

    def callback(self):
        """The callable to hand to C++, or None when no bar is drawn."""
        return self if self._bar is not None else None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if self._bar is not None:
            if kind is None:
                self(self._files, self._bar.total)
            self._bar.close()
        return False


def total_of(entries):
    """(bytes, files) of an iterable of entries with a `size`."""
    sizes = [entry.size for entry in entries]
    return sum(sizes), len(sizes)
