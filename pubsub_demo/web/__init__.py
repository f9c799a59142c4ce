"""The web gateway's room (web.py): what it serves browsers of a server's messages, over HTTP.

`content` turns each message into what a browser takes (a JPEG frame, a row of numbers),
`channel` hands the newest to any number of viewers, `request` reads and checks what a browser
asks, `replies` words the answers, `viewers` says who watches and who is refused, `streams` writes
each viewer's frames or arrays, `gateway` runs it all in a thread, `sharing` says where students
point their browsers. `page.html` is the one page served.
"""
