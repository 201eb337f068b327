from plinto_db.cli import main

main()
