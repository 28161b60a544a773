"""python -m gradcli"""

from .front.cli import main

main()
