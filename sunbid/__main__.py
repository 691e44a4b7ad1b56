"""`python -m sunbid` runs the CLI."""

from sunbid.cli import main

main()
