"""The student's local web page (`grader serve`): an ASGI app built by `create_app`."""

from .app import create_app

__all__ = ["create_app"]
