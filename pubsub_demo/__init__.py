"""Plumbing shared by the demo's scripts: logging, options, the wire format, sockets, video.

The scripts in random_numbers_transmission/ and video_transmission/ are the lessons; this
package holds what they have in common, one module per job:

- logs: the error log in the original scripts' format, and clean exits (`run`)
- options: command-line options and their checks
- wire: an array as a ZeroMQ message and back (pure functions)
- sockets: binding, receiving, and the socket settings each role needs
- receiving: a client's socket and loop: decode, skip bad messages, notice silence
- pacing: a drift-free clock for "N times a second"
- video: video sources (file, camera, built-in test pattern)
- display: windows, keys, the stats line, and a video client's loop
- security, keys: CURVE encryption and authentication (--curve), and making the keys
"""
