"""The first line of every script in this folder, `from bootstrap import lifetime`: it calls
lifetime.begin() (pubsub_demo/process/lifetime.py) before numpy, zmq and OpenCV load.

In a Python without the project's environment (a new terminal's python3), the package cannot be
imported from here: lifetime is then taken from the project's folder, only to say in one line
what to do. (random_numbers_transmission/ and video_transmission/ hold the same file.)
"""

import sys
from pathlib import Path

try:
    from pubsub_demo.process import lifetime
except ModuleNotFoundError:  # not the project's environment
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # the project's folder, for lifetime
    from pubsub_demo.process import lifetime

    lifetime.outside_the_environment()  # one line saying what to do; exit code 1

lifetime.begin()  # the requirements missing: one line; a Ctrl+C while they load: a quiet end
