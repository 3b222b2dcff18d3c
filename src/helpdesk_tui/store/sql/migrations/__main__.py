"""Run alembic commands against a store: see the package docstring."""

from . import main

main()
