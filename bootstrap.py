"""The first line of relay.py, web.py and demo.py, `from bootstrap import lifetime`: it calls
lifetime.begin() (pubsub_demo/process/lifetime.py) before numpy, zmq and OpenCV load. The
package is beside them: a Python without the requirements is told in one line what to do.
(A part's folder has a bootstrap.py of its own, which finds the package from there.)
"""

from pubsub_demo.process import lifetime

lifetime.begin()  # the requirements missing: one line; a Ctrl+C while they load: a quiet end
