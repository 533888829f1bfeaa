"""The Django matrix: the current LTS on the oldest Python we support, the newest Django on
the newest Python. `make matrix` runs both; CI runs the newest only (`make test` has already
run everything on the LTS), without the slow tests, which do not depend on Django's version:
`make matrix-newest`."""

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

MATRIX = [
    ("3.11", "Django>=5.2,<5.3"),
    ("3.13", "Django>=6.1,<6.2"),
]


@nox.session
@nox.parametrize(("python", "django"), MATRIX, ids=["py311-django52", "py313-django61"])
def tests(session: nox.Session, django: str) -> None:
    session.install("-e", ".[test,example,browser,docs]", django)
    session.run("python", "-m", "django", "--version")
    # The tutorial's replay makes its own virtualenv with the newest Django: `make test` runs it.
    args = session.posargs or ["-q", "-m", "not newcomer"]
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *args)
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "example_project/tests",
        "--ds=example_project.tests.settings",
        *args,
    )
