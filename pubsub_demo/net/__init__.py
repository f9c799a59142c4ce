"""ZeroMQ's side of things: sockets and their limits, addresses, ZMTP by hand, CURVE and its
refusals, who can reach a server, socket monitors and the watches that read them.
"""
