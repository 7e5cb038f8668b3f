"""Thin Lambda handlers: parse the API Gateway v2 event → a core flow → a response.

One module per function, so each Lambda imports only what its routes need.
"""
