"""Plumbing shared by the demo's scripts. The scripts in random_numbers_transmission/ and
video_transmission/ (and relay.py, demo.py) are the lessons; this package holds what they have
in common, one job a module, in rooms by role. docs/architecture.md draws the rooms.

Importing the package does nothing by itself: a script's first call is lifetime.begin().
"""
