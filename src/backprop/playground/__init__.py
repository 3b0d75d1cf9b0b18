"""``backprop playground``: watch backpropagation train a network in the browser.

A local web page served by the standard library's http.server; every number it shows comes from
the engine (:mod:`backprop.core`, :mod:`backprop.optim`): the browser only draws.

>>> from backprop.playground import Session, make_server
>>> server = make_server("127.0.0.1", 0)           # doctest: +SKIP
>>> server.serve_forever()                          # doctest: +SKIP
"""

from .server import PlaygroundServer, make_server, serve_in_thread
from .session import DEFAULT_CONFIG, Session

__all__ = ["DEFAULT_CONFIG", "PlaygroundServer", "Session", "make_server", "serve_in_thread"]
