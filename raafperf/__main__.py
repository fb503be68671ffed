from raafperf.cli.app import main

main()
