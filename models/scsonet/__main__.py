"""Command line: python -m scsonet <command> (see --help)."""

from .cli import main

raise SystemExit(main())
