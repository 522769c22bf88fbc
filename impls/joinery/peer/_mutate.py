"""Mutation testing of joinery.task (work in progress: not wired yet)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the ``mutate`` subcommand."""
    p: argparse.ArgumentParser = sub.add_parser("mutate", help="mutation testing of joinery.task")
    return p


def main(args: argparse.Namespace) -> int:
    """Not wired yet: say so and fail."""
    print("joinery.peer mutate: not implemented yet", file=sys.stderr)
    return 2
