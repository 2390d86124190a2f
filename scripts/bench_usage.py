#!/usr/bin/env python3
"""What usage tracking costs the reader: requests/s of a real `datasette serve` with
tracking off and on, and their ratio, in one run (catalog/bench/usage.py).

    .venv/bin/python scripts/bench_usage.py --requests 3000 --concurrency 4
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog.bench.usage import main  # noqa: E402

sys.exit(main())
