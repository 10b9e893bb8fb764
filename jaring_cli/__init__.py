"""`jaring`: the operators' and officers' command line, a client of the services' HTTP APIs."""
