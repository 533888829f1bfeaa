"""The request path: the compiled cookie registry, the visitor's consent and its signed cookie,
the visitor's region, the choice a visitor posts, gated content and cross-origin protection.
Reads no table per request; imports only settings, pure helpers and the models."""
