"""Peak resident set size of the current process, resettable per phase on Linux."""
from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """VmHWM from /proc/self/status (resettable), else ru_maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


_EARLIER_PEAK = 0.0


def overall_peak_mb() -> float:
    """Peak RSS of the whole process, across resets (a reset also clears ru_maxrss on Linux)."""
    return max(_EARLIER_PEAK, peak_rss_mb())


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs). False if unsupported."""
    global _EARLIER_PEAK
    _EARLIER_PEAK = overall_peak_mb()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False
