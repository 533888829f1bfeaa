"""The operator's console: decision statistics and their charts, the undeclared-cookie inbox,
and headless Chromium with the scanner and the audit that drive it. Imports the engine and
publishing, never the edges."""
