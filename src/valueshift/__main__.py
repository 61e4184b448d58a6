"""``python -m valueshift ...`` is the ``valueshift`` command."""

from valueshift.cli import main

if __name__ == "__main__":
    main()
