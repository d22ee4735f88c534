from echostrain.cli.main import main

main()
