"""Peak memory and CPU time of a command and every process it starts.

    python -m benchmarks.measure RESULT_JSON COMMAND...

Writes {"peak_rss_kb", "cpu_seconds", "returncode"}: the largest resident set of any process of
the command's tree (Linux `ru_maxrss`, kilobytes) and the CPU time they used, as
`getrusage(RUSAGE_CHILDREN)` reports once every process of the tree has been waited for.

Stdlib only, on purpose: on Linux a process starts with the peak RSS of the process it was
started from (`ru_maxrss` carries over `exec`), so the measured command must be started from a
small process like this one, not from the benchmark (which holds the whole sandbox world).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    out, *command = argv
    returncode = subprocess.run(command, check=False).returncode
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out).write_text(
        json.dumps(
            {
                "peak_rss_kb": usage.ru_maxrss,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "returncode": returncode,
            }
        )
    )
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
