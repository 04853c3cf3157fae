"""Entry point of the frozen app: the same as the `privastream` console script."""

from privastream_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
