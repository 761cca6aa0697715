"""Progress logging for long jobs: timestamped lines, flushed at once, to a file and stderr."""

import sys
import time
from collections.abc import Callable


def make_logger(path: str | None = None, echo: bool = True) -> Callable[[str], None]:
    """A ``log(message)`` function appending timestamped lines to ``path`` (and stderr)."""
    handle = open(path, "a", buffering=1) if path else None
    start = time.monotonic()

    def log(message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')} +{time.monotonic() - start:8.1f}s] {message}"
        if handle is not None:
            handle.write(line + "\n")
            handle.flush()
        if echo:
            print(line, file=sys.stderr, flush=True)

    return log


class ProgressMeter:
    """Rate and time-left estimates for a loop of known length (a plain value-holder)."""

    def __init__(self, total: int, start_done: int = 0):
        self.total = total
        self.start_done = start_done
        self.start_time = time.monotonic()

    def line(self, done: int, budget_left: float | None = None, **fields) -> str:
        """``done/total fields rate left``; ``budget_left`` (seconds of a time budget still
        to spend) caps the time-left estimate when the budget ends the loop first."""
        elapsed = time.monotonic() - self.start_time
        rate = (done - self.start_done) / elapsed if elapsed > 0 else float("nan")
        left = (self.total - done) / rate if rate and rate > 0 else float("nan")
        if budget_left is not None and not left <= budget_left:
            left = max(budget_left, 0.0)
        extra = " ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in fields.items())
        return f"{done}/{self.total} {extra} rate={rate:.3g}/s left={left:.0f}s"
