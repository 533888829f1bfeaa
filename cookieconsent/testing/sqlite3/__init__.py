"""Django's SQLite backend, for test settings: its flush also empties the app's append-only
tables. Set ``DATABASES["default"]["ENGINE"] = "cookieconsent.testing.sqlite3"`` in the
settings the tests run on."""
