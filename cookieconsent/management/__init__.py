"""What the app's management commands share."""

#: The exit status of a usage error: a value the command refuses before it starts (a date that
#: is not a date, a URL that is not http(s), no Chromium where ``--browser`` points), as
#: argparse's for an option it cannot parse. Failures of the work itself exit with 1.
USAGE = 2


def counted(number: int, noun: str, plural: str = "") -> str:
    """A number with its noun, in the singular for one: "1 page", "2 pages", "0 records"
    (``plural`` where adding an "s" is wrong: "prefixes"). The commands speak English, as
    Django's own do."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
