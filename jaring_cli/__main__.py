from jaring_cli.main import main

main()
