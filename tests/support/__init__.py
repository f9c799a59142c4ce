"""What the tests share, each module named for what it offers: the project's paths, a script run as
a subprocess, what the scripts print, hand-made peers and forgeries, memory, desktops, browsers,
a classroom's network. Test modules import from here, never from conftest.py or from each other."""
