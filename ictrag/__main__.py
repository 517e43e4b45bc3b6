from ictrag.cli import main

main()
