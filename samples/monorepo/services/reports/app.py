"""Same as `python3 -m reports` (the template's default command)."""
from reports.__main__ import main

main()
