"""Let `python -m searchkit` behave exactly like the installed `searchkit` command."""

from __future__ import annotations

from searchkit.cli import main

if __name__ == "__main__":
    main(prog_name="searchkit")
