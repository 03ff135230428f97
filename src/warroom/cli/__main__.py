"""`python -m warroom.cli` is the `warroom` command."""

from warroom.cli.main import app

app(prog_name="warroom")
