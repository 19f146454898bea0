"""``python -m ugen.cli``."""

from ugen.cli import main

main()
