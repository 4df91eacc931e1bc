"""Argument parsing for ``python -m scsonet``; every command's errors become one clear line."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .commands import COMMANDS, is_user_error


def build_parser() -> argparse.ArgumentParser:
    """The parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="scsonet", description="SCSONet for LesionDesk")
    sub = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; user errors print one line on stderr and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][1](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if is_user_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
