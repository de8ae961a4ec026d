"""``python -m winlang``: the command line, for environments without the console script."""

from .cli import main

if __name__ == "__main__":
    main()
