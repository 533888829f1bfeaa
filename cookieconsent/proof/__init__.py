"""The proof: writing a record of every decision, exporting the log, and the retention purge
that keeps the daily counts. Imports the engine, publishing and the console's statistics."""
