"""Entry point of the frozen app: the same as the `privastream` console script."""

import multiprocessing

from privastream_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the whitelist's embedding process re-runs this program
    raise SystemExit(main())
