"""The operator's console: decision statistics and their charts, the undeclared-cookie inbox,
and the scanner. Imports the engine and publishing, never the edges."""
