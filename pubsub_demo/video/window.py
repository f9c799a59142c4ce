"""An OpenCV window that fits its share of the screen and that the user can close.

A window is resizable and keeps the picture's aspect; it opens where layout.window_place puts
it (or where the user asked), at the size that fits, and is put back there in its first seconds
if the window manager had other ideas. After that the user may drag and resize it.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from pubsub_demo.video import screen
from pubsub_demo.video.layout import DECORATION, Place, window_place
from pubsub_demo.video.screen import Area

ESC = 27
PLACING_TIME = 3.0  # seconds during which a new window is put back where we asked


class Window:
    """The window titled `title`, in `slot` of `slots` side by side (see layout.window_place);
    `position` (x, y) overrides where it goes. There must be a display (else Fatal, one line)."""

    def __init__(self, title: str, slot: int = 0, slots: int = 3, position: tuple[int, int] | None = None) -> None:
        screen.check_display()  # before OpenCV tries: without a display it aborts the process
        self.title, self.slot, self.slots, self.position = title, slot, slots, position
        self.opened = False
        self.area: Area | None = None  # the screen, once a window is to be placed on it
        self.image_size: tuple[int, int] | None = None  # width, height of the images shown: the window fits them
        self.size = (0, 0)  # the window's picture, as we made it: width, height
        self.place = (0, 0)  # where we put its frame's top left corner
        self.opened_at = 0.0
        self.settled = False  # placing is over (see keep_in_place)

    def fit(self, image_size: tuple[int, int]) -> Place:
        """Where the window goes, and its size, for images of `image_size` (width, height)."""
        if self.area is None:
            self.area = screen.screen_area()
        return window_place(self.area, self.slot, image_size, self.slots)

    def screen_scale(self, image: np.ndarray) -> float:
        """How large `image` will be on the screen, for each of its pixels."""
        return self.fit((image.shape[1], image.shape[0])).width / image.shape[1]

    def show(self, image: np.ndarray) -> None:
        """Show `image`, in a window opened for it first if need be, and resized for images
        of a new size (the user may resize it in between)."""
        image_size = image.shape[1], image.shape[0]
        if not self.opened:
            # A resizable window: the picture is scaled to it, aspect kept.
            cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        cv2.imshow(self.title, image)
        if image_size != self.image_size:
            # Sized once it has a picture (before, Qt would keep the proportions of a blank
            # default one), then moved: Qt then puts the window's frame, title bar included,
            # at the point we give, not the picture.
            place = self.fit(image_size)
            self.image_size, self.size = image_size, place.size
            cv2.resizeWindow(self.title, *self.size)
            if not self.opened:
                self.place = self.position or (place.x, place.y)
                cv2.moveWindow(self.title, *self.place)
                self.opened, self.opened_at, self.settled = True, time.monotonic(), False
        self.keep_in_place()

    def keep_in_place(self) -> None:
        """Put the window back where we asked, at the size we asked, in its first seconds only.

        A window manager that is still taking in a new window may put it where it likes and
        drop our move, and Qt may still be settling the window's size; asking again once the
        window is up makes it stick. The picture must lie below and right of the point we
        gave, by no more than a frame's borders and title bar: a picture right at that point
        means the title bar is above it, perhaps off the screen."""
        if not self.opened or self.settled:
            return
        if time.monotonic() - self.opened_at > PLACING_TIME:
            # Once more, a pixel taller and back: Qt's view then scales the picture to the window
            # as it now is. A window mapped while its size still settled, under load, was seen to
            # stay black for as long as it stayed open (its pictures scaled to a size it had had).
            cv2.resizeWindow(self.title, self.size[0], self.size[1] + 1)
            cv2.resizeWindow(self.title, *self.size)
            self.settled = True
            return
        x, y, width, height = cv2.getWindowImageRect(self.title)
        if abs(width - self.size[0]) > 2 or abs(height - self.size[1]) > 2:
            cv2.resizeWindow(self.title, *self.size)
        dx, dy = x - self.place[0], y - self.place[1]
        if not (0 <= dx <= DECORATION[0] and 0 < dy <= DECORATION[1]):
            cv2.moveWindow(self.title, *self.place)

    def idle(self) -> bool:
        """Let the window redraw and read keys; False if the user asked to stop (q, Esc, or
        closing the window)."""
        if not self.opened:
            return True
        key = cv2.waitKey(1) & 0xFF
        try:
            closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:  # some backends raise instead, once the user has closed the window
            closed = True
        if closed:
            self.opened, self.image_size = False, None
        return not (closed or key in (ord("q"), ESC))

    def close(self) -> None:
        """Close the window, if it is open."""
        if self.opened:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)  # let the window system take it away now
            self.opened, self.image_size = False, None
