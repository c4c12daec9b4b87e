"""moto's server, answering one request at a time.

moto checks a DynamoDB write's condition and then applies it in two Python steps, and its
server answers each connection in a thread of its own, so two concurrent conditional
writes (or transactions) can both pass their checks. DynamoDB applies each request
atomically; serving one request at a time gives the tests that same guarantee, while
connections (keep-alive included) stay concurrent.

Usage: python moto_serial.py -H HOST -p PORT (the arguments of moto_server).
"""

import sys
import threading

from moto import server

_one_at_a_time = threading.Lock()
_serve = server.DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _one_at_a_time:
        # The body is produced inside the lock: a lazy one would run after it.
        return list(_serve(self, environ, start_response))


server.DomainDispatcherApplication.__call__ = _serialised

if __name__ == "__main__":
    server.main(sys.argv[1:])
