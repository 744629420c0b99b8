"""`lakehouse`, the command line: `commands` (the parser and one short handler per command), `output`
(rendering), `demo` (the whole loop). The entry point is `lakehouse.cli:main`."""

from lakehouse.cli.commands import main

__all__ = ["main"]
