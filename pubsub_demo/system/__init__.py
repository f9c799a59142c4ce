"""What the operating system gives, in one place: each module here has the `sys.platform`
branches for Linux, macOS and Windows that the rest of the package leaves alone.

- `signals`: what asks a script to stop, and how a thread hears of it;
- `processes`: starting a script that can be asked to stop, and asking it;
- `connections`: the TCP connections libzmq holds: peer, shutdown, send buffer, time-out;
- `byte_counts`: the kernel's count of the bytes in and out on a connection;
- `closed_connections`: who the connections this end closed came from;
- `files`: a log file opened and written without waiting;
- `memory`: freed memory given back.

docs/robustness.md has a table, per system, of what holds and how it was tested.
"""
