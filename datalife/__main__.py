from datalife.cli import main

main()
