"""Frames: video sources and the test card, an OpenCV window and where it goes, captions, the stats line, the screen."""
