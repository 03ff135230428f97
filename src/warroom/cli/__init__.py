"""The `warroom` command line: set-up commands on the database, and remote commands on a server's API."""
