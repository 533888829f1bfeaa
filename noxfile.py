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


#: Django's development branch, for early warning. Not in CI: these machines reach no GitHub.
DJANGO_MAIN = "Django @ https://github.com/django/django/archive/refs/heads/main.tar.gz"


@nox.session(python="3.13", default=False)
def django_main(session: nox.Session) -> None:
    """``nox -s django_main``: the suite on Django's main branch. Allowed to fail: a failure
    is a report to act on before Django's next release, not a broken build."""
    session.install("-e", ".[test,example,browser,docs]", DJANGO_MAIN)
    session.run("python", "-m", "django", "--version")
    args = session.posargs or ["-q", "-m", "not newcomer and not browser and not services"]
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *args, success_codes=[0, 1])
