"""What the app's management commands share."""

#: The exit status of a usage error: a value the command refuses before it starts (a date that
#: is not a date, a URL that is not http(s), no Chromium where ``--browser`` points), as
#: argparse's for an option it cannot parse. Failures of the work itself exit with 1.
USAGE = 2
